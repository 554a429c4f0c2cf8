"""PhysioNet/CinC Challenge 2020-2021 and CPSC 2018 records: ``.mat`` + ``.hea`` with SNOMED codes.

A Challenge record is ``A0001.mat`` (MATLAB file with the digital signal in variable ``val``,
shape ``[n_leads, n_samples]``) beside ``A0001.hea`` (WFDB header: fs, lead names, gain,
baseline, units; comments ``#Age: 56``, ``#Sex: Male``, ``#Dx: 426783006,164889003``). The
signal is converted to mV as ``(val - baseline) / gain`` scaled by the header unit; the ``Dx``
codes go to ``ecg.metadata["snomed_codes"]``.

A ``.mat`` file **without** a ``.hea`` (e.g. CPSC 2019 ``data_00001.mat``: one variable
``ecg``, float, ``[5000, 1]``, mV) is read as a raw array: it must hold exactly one numeric
2-D/1-D array of floating-point values in mV (integer arrays without a header have no gain and
are refused), ``fs`` must be given, the longer axis is time, and leads are named ``ECG1``,
``ECG2``, ... (``ECG`` for one lead).

Example
-------
>>> import numpy as np, scipy.io, tempfile, pathlib
>>> from medts.io.cinc import read_cinc
>>> d = pathlib.Path(tempfile.mkdtemp())
>>> scipy.io.savemat(d / "raw.mat", {"ecg": np.zeros((1000, 1)) + 0.1})
>>> read_cinc(d / "raw.mat", fs=250).leads
('ECG',)
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import scipy.io
import wfdb

from medts.errors import ECGReadError, InvalidECGError
from medts.io.wfdb_io import header_sampling_rate, parse_comments, unit_scale_to_mv, unit_warnings
from medts.record import ECG

_SIGNAL_KEYS = ("val", "ecg", "signal", "data", "ECG", "x")


def read_cinc(path: str | Path, *, fs: float | None = None) -> ECG:
    """Read a Challenge ``.mat`` (+ ``.hea``) record, or a raw ``.mat`` array with ``fs`` given.

    Parameters
    ----------
    path : str or Path
        The ``.mat`` or the ``.hea`` file.
    fs : float, optional
        Sampling rate in Hz. Required for a ``.mat`` without header; with a header it must
        agree with the header's rate (a disagreement is an error, not a silent override).

    Raises
    ------
    ECGReadError
        Missing files, no usable variable in the ``.mat``, lead-count or length mismatch with
        the header, wrong or absent ``fs``, and every invalid-signal case of :class:`ECG`.
    """
    path = Path(path)
    mat = path.with_suffix(".mat")
    hea = path.with_suffix(".hea")
    if not mat.is_file():
        raise ECGReadError(mat, ".mat signal file not found")
    try:
        if hea.is_file():
            return _read_with_header(mat, hea, fs)
        return _read_raw(mat, fs)
    except ECGReadError:
        raise
    except InvalidECGError as error:
        raise ECGReadError(mat, str(error)) from error
    except Exception as error:  # scipy / wfdb raise many types on bad files
        raise ECGReadError(mat, f"cannot read .mat record ({type(error).__name__}: {error})") from error


def _load_array(mat: Path) -> tuple[str, np.ndarray]:
    try:
        content = scipy.io.loadmat(str(mat))
    except NotImplementedError as error:  # MATLAB v7.3 (HDF5) files
        raise ECGReadError(mat, f"unsupported MATLAB file version: {error}") from error
    except Exception as error:
        raise ECGReadError(mat, f"not a readable MATLAB file ({type(error).__name__}: {error})") from error
    arrays = {
        k: v for k, v in content.items()
        if not k.startswith("__") and isinstance(v, np.ndarray) and np.issubdtype(v.dtype, np.number)
    }
    for key in _SIGNAL_KEYS:
        if key in arrays:
            return key, arrays[key]
    if len(arrays) == 1:
        return next(iter(arrays.items()))
    names = ", ".join(sorted(arrays)) or "none"
    raise ECGReadError(mat, f"no signal variable found (looked for {', '.join(_SIGNAL_KEYS)}; numeric variables: {names})")


def _read_with_header(mat: Path, hea: Path, fs: float | None) -> ECG:
    try:
        header = wfdb.rdheader(str(hea.with_suffix("")))
    except Exception as error:
        raise ECGReadError(hea, f"invalid WFDB header ({type(error).__name__}: {error})") from error
    _, val = _load_array(mat)
    if val.ndim != 2:
        raise ECGReadError(mat, f"signal variable must be 2-D [n_leads, n_samples], got shape {val.shape}")
    n_sig = int(header.n_sig or 0)
    if val.shape[0] != n_sig and val.shape[1] == n_sig:
        val = val.T  # stored as [n_samples, n_leads]
    if val.shape[0] != n_sig:
        raise ECGReadError(mat, f"header {hea.name} lists {n_sig} leads but the .mat has shape {val.shape}")
    if header.sig_len and val.shape[1] != int(header.sig_len):
        raise ECGReadError(
            mat, f"header {hea.name} says {header.sig_len} samples but the .mat has {val.shape[1]}"
        )
    header_fs = header_sampling_rate(hea, fs, holder="header")  # wfdb would read a missing rate as 250 Hz
    gains = np.array([g if g else 200.0 for g in header.adc_gain], dtype=np.float64)
    baselines = np.array([b or 0 for b in header.baseline], dtype=np.float64)
    scales, unknown = [], []
    for name, unit in zip(header.sig_name, header.units or ["mV"] * n_sig):
        scale = unit_scale_to_mv(unit or "mV")
        if scale is None:
            unknown.append((str(name), str(unit)))
        scales.append(1.0 if scale is None else scale)
    # [n_leads, n_samples] digital -> [n_samples, n_leads] mV
    signal = ((val.astype(np.float64) - baselines[:, None]) / gains[:, None] * np.array(scales)[:, None]).T
    comments = [str(c) for c in (header.comments or [])]
    parsed = parse_comments(comments)
    return ECG(
        signal=signal,
        fs=header_fs,
        leads=tuple(str(n) for n in header.sig_name),
        record_id=mat.stem,
        source=str(mat),
        age=parsed["age"],
        sex=parsed["sex"],
        metadata={
            "format": "cinc",
            "comments": comments,
            "header_fields": parsed["fields"],
            "snomed_codes": parsed["snomed_codes"],
            "units": [str(u) for u in (header.units or [])],
            **({"unit_warnings": unit_warnings(unknown)} if unknown else {}),
        },
    )


def _read_raw(mat: Path, fs: float | None) -> ECG:
    if fs is None:
        raise ECGReadError(
            mat, "no .hea header beside this .mat file, so the sampling rate is unknown: pass fs (e.g. --fs 500)"
        )
    key, array = _load_array(mat)
    if array.ndim == 1:
        array = array[:, None]
    if array.ndim != 2 or array.size == 0:
        raise ECGReadError(mat, f"variable {key!r} must be a non-empty 1-D or 2-D array, got shape {array.shape}")
    if not np.issubdtype(array.dtype, np.floating):
        raise ECGReadError(
            mat,
            f"variable {key!r} holds integers (digital units) and there is no .hea header with the gain; "
            "put the .hea beside it",
        )
    if array.shape[0] < array.shape[1]:
        array = array.T  # time is the longer axis: [n_samples, n_leads]
    n_leads = array.shape[1]
    leads = ("ECG",) if n_leads == 1 else tuple(f"ECG{i + 1}" for i in range(n_leads))
    return ECG(
        signal=array,
        fs=fs,
        leads=leads,
        record_id=mat.stem,
        source=str(mat),
        metadata={"format": "mat", "mat_variable": key, "units_assumed": "mV"},
    )
