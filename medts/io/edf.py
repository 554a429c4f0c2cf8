"""EDF and EDF+ files (``pyedflib``), physical units converted to mV.

EDF files often mix ECG with other channels (EEG, respiration, SpO2) at other rates. The
reader keeps the channels in voltage units (uV, mV, V) and, among them, those at the most
common sampling rate (ties: the highest rate); dropped channels are listed in
``ecg.metadata["skipped_channels"]``. Labels such as ``"ECG II"`` or ``"ECG V1"`` become the
canonical lead names. EDF+ annotations are kept in ``ecg.metadata["annotations"]`` as
``[onset_s, duration_s, text]`` (data, never instructions).

Example
-------
>>> import numpy as np, tempfile, pathlib, pyedflib
>>> from medts.io.edf import read_edf
>>> p = str(pathlib.Path(tempfile.mkdtemp()) / "x.edf")
>>> x = np.sin(np.arange(2500) / 20) * 1000  # uV
>>> w = pyedflib.EdfWriter(p, 1, file_type=pyedflib.FILETYPE_EDFPLUS)
>>> w.setSignalHeaders([{"label": "ECG II", "dimension": "uV", "sample_frequency": 250,
...     "physical_max": 2000, "physical_min": -2000, "digital_max": 32767, "digital_min": -32768}])
>>> w.writeSamples([x]); w.close()
>>> ecg = read_edf(p)
>>> ecg.leads, ecg.fs, round(float(ecg.signal.max()), 2)
(('II',), 250.0, 1.0)
"""

from __future__ import annotations

import collections
from pathlib import Path

import numpy as np

from medts.errors import ECGReadError, InvalidECGError
from medts.io.wfdb_io import unit_scale_to_mv
from medts.record import ECG, STANDARD_LEADS, canonical_lead_name


def edf_lead_name(label: str) -> str:
    """``"ECG II"`` -> ``"II"``, ``"EKG V1"`` -> ``"V1"``, ``"ECG"`` stays ``"ECG"``.

    >>> edf_lead_name("ECG II"), edf_lead_name("EKG-V1"), edf_lead_name("ECG1")
    ('II', 'V1', 'ECG1')
    """
    label = str(label).strip()
    for prefix in ("ECG", "EKG"):
        if label.upper().startswith(prefix):
            rest = label[len(prefix):].strip(" -_:")
            if rest and canonical_lead_name(rest) in STANDARD_LEADS:
                return canonical_lead_name(rest)
    return label


def read_edf(path: str | Path) -> ECG:
    """Read an EDF/EDF+ file as an :class:`ECG` in mV (see the module doc for channel choice).

    Raises
    ------
    ECGReadError
        Not an EDF file, no voltage channels, and every invalid-signal case of :class:`ECG`.
    """
    import pyedflib

    path = Path(path)
    if not path.is_file():
        raise ECGReadError(path, "file not found")
    try:
        reader = pyedflib.EdfReader(str(path))
    except Exception as error:  # pyedflib raises OSError with its own wording
        raise ECGReadError(path, f"not a readable EDF/EDF+ file ({error})") from error
    try:
        return _read_open(path, reader)
    except ECGReadError:
        raise
    except InvalidECGError as error:
        raise ECGReadError(path, str(error)) from error
    except Exception as error:
        raise ECGReadError(path, f"cannot read EDF signals ({type(error).__name__}: {error})") from error
    finally:
        reader.close()


def _read_open(path: Path, reader) -> ECG:
    n = reader.signals_in_file
    if n == 0:
        raise ECGReadError(path, "EDF file has no signals")
    labels = reader.getSignalLabels()
    units = [reader.getPhysicalDimension(i) for i in range(n)]
    rates = [float(reader.getSampleFrequency(i)) for i in range(n)]
    voltage = [i for i in range(n) if unit_scale_to_mv(units[i]) is not None]
    if not voltage:
        raise ECGReadError(
            path, "no channel in voltage units (uV, mV, V); channels: "
            + ", ".join(f"{labels[i]} [{units[i] or 'no unit'}]" for i in range(n))
        )
    counts = collections.Counter(rates[i] for i in voltage)
    fs = max(counts, key=lambda rate: (counts[rate], rate))
    keep = [i for i in voltage if rates[i] == fs]
    skipped = [f"{labels[i]} [{units[i] or 'no unit'}, {rates[i]:g} Hz]" for i in range(n) if i not in keep]
    columns = [reader.readSignal(i) * unit_scale_to_mv(units[i]) for i in keep]
    length = min(len(c) for c in columns)
    signal = np.stack([c[:length] for c in columns], axis=1)  # [n_samples, n_leads]
    annotations = []
    try:
        onsets, durations, texts = reader.readAnnotations()
        annotations = [[float(o), float(d), str(t)] for o, d, t in zip(onsets, durations, texts)]
    except Exception:  # noqa: BLE001 - annotations are optional extras
        annotations = []
    sex = None
    try:
        sex = {"male": "M", "female": "F", "m": "M", "f": "F"}.get(str(reader.getSex()).strip().lower())
    except Exception:  # noqa: BLE001
        sex = None
    try:
        start = reader.getStartdatetime().isoformat()
    except Exception:  # noqa: BLE001
        start = None
    return ECG(
        signal=signal,
        fs=fs,
        leads=tuple(edf_lead_name(labels[i]) for i in keep),
        record_id=path.stem,
        source=str(path),
        sex=sex,
        metadata={
            "format": "edf",
            "units": [units[i] for i in keep],
            "skipped_channels": skipped,
            "annotations": annotations,
            "start_datetime": start,
        },
    )
