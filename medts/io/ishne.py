"""ISHNE Holter 1.0 ``.ecg`` files (Badilini F., Ann Noninvasive Electrocardiol 1998;3:263-266):
long ambulatory recordings, 1-12 leads of int16 samples.

The header (CRC-CCITT of the header and variable block, leads, resolutions, demographics) is
decoded by ``ecgdatakit``'s ISHNE parser; the samples are read by medts by sample range from the
data block (``ecgdatakit`` reads the whole file, which for 24 h of 12 leads is gigabytes as
float64), so a command that needs only the first minutes, or ``medts info`` reading window by
window, holds only what it reads. Values are those ``ecgdatakit`` gives (int16 x resolution, in
float64, then float32), checked against it by the tests.

A file with fewer samples than its header announces (a recording cut short, or a writer that
stores a nominal length) is read as far as it goes, whole frames only, and says so in a note
every output repeats (``metadata["carried_notes"]``); a file with no whole frame is refused. Age
(from birth and recording dates), sex, recording start and the recorder go to the record;
lead-off samples (-32768) in the part read are counted under ``metadata["lead_off_samples"]`` and
left in place (medts' amplitude checks flag them).
"""

from __future__ import annotations

import os
import struct
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np

from medts.errors import ECGReadError
from medts.io.device import read_errors_only

FIXED_HEADER_BYTES = 522
"""Magic (8) + CRC (2) + fixed header (512): the variable block starts here, the samples after it."""

_UV_TO_MV = 1.0 / 1000.0  # ecgdatakit's factor (uV -> mV), kept so values match its reader bit for bit


def _layout(path: Path) -> tuple[int, int, int, list[int]] | None:
    """``(data offset, leads, samples per lead announced, resolutions in nV)`` from the fixed header,
    ``None`` when it is not a plausible ISHNE header (the parser then says what is wrong)."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(FIXED_HEADER_BYTES)
    except OSError:
        return None
    if len(head) < FIXED_HEADER_BYTES or head[:8] != b"ISHNE1.0":
        return None
    var_size, announced = struct.unpack_from("<ii", head, 10)
    n_leads = struct.unpack_from("<h", head, 156)[0]
    if var_size < 0 or not 1 <= n_leads <= 12:
        return None
    resolutions = list(struct.unpack_from("<12h", head, 206))[:n_leads]
    return FIXED_HEADER_BYTES + var_size, n_leads, announced, resolutions


def ishne_length(path: Path) -> int | None:
    """Whole sample frames (samples per lead) the file holds, or ``None`` if the header is unusable."""
    layout = _layout(path)
    if layout is None:
        return None
    offset, n_leads, _, _ = layout
    return max(0, os.path.getsize(path) - offset) // 2 // n_leads


def ishne_shape(path: Path) -> tuple[int, int, float] | None:
    """``(samples per lead held, leads, sampling rate in Hz)`` from the header and the file size, without
    reading a sample (for the input limits of :func:`medts.cli_inputs.read_checked`); ``None`` if unusable."""
    layout, held = _layout(path), ishne_length(path)
    if layout is None or held is None:
        return None
    with open(path, "rb") as handle:
        handle.seek(272)
        rate = struct.unpack("<h", handle.read(2))[0]
    return (held, layout[1], float(rate)) if rate > 0 else None


def _frames(path: Path, offset: int, n_leads: int, start: int, stop: int) -> np.ndarray:
    """int16 samples ``[stop - start, n_leads]`` of frames ``[start, stop)`` (only they are read)."""
    count = max(0, stop - start)
    raw = np.fromfile(path, dtype="<i2", count=count * n_leads, offset=offset + 2 * start * n_leads)
    return raw.reshape(-1, n_leads)


def _scale(resolutions_nv: list[int]) -> np.ndarray:
    """mV per count, per lead, computed as ``ecgdatakit`` does (resolution in uV, then uV -> mV)."""
    return np.asarray([(r / 1_000.0) * _UV_TO_MV for r in resolutions_nv], np.float64)


def ishne_reader(path: Path) -> Callable[[int, int], np.ndarray]:
    """``read(start, stop)`` -> ``float32 [stop - start, n_leads]`` in mV, the values :func:`read_ishne` gives."""
    layout = _layout(path)
    if layout is None:
        raise ECGReadError(path, "not an ISHNE Holter header")
    offset, n_leads, _, resolutions = layout
    scale = _scale(resolutions)

    def read(start: int, stop: int) -> np.ndarray:
        return (_frames(path, offset, n_leads, start, stop).astype(np.float64) * scale[None, :]).astype(np.float32)

    return read


def _parse_header(path: Path, frames: int | None):
    """``ecgdatakit``'s record of ``path`` (header, CRC, leads, demographics) with only the first
    ``frames`` sample frames decoded (``None``: all). A CRC mismatch or a damaged header raises."""
    from ecgdatakit.exceptions import ChecksumWarning, CorruptedFileError, ECGDataKitError
    from ecgdatakit.parsing.parsers.ishne_holter import ISHNEHolterParser

    class _FirstFrames(ISHNEHolterParser):
        """The ecgdatakit parser, reading only the frames asked for instead of the whole data block."""

        def _read_signal(self, filename: str, layout, nleads: int) -> np.ndarray:
            available = max(0, os.path.getsize(filename) - layout.data_offset) // 2 // nleads
            count = available if frames is None else min(available, frames)
            if count == 0:
                raise CorruptedFileError(f"ISHNE file holds no complete sample frame for {nleads} leads")
            return _frames(Path(filename), layout.data_offset, nleads, 0, count).T  # [leads, samples], as its parser

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # quiet: its other warnings are about optional fields
            warnings.simplefilter("error", ChecksumWarning)  # a damaged record is refused, not read
            return _FirstFrames().parse(path)
    except ChecksumWarning as error:
        raise ECGReadError(path, f"{error} (file damaged)") from None
    except ECGDataKitError as error:
        raise ECGReadError(path, str(error).replace("\n", " ")) from None
    except (struct.error, ValueError) as error:
        raise ECGReadError(path, f"not readable as ISHNE Holter: {error}") from None
    except OSError as error:
        raise ECGReadError(path, f"cannot read file: {error.strerror or error}") from error


@read_errors_only
def read_ishne(path: str | Path, *, max_samples: int | None = None):
    """Read an ISHNE Holter ``.ecg`` file into an :class:`~medts.record.ECG` (signals in mV).

    ``max_samples``: read only the first samples of each lead (the rest of the file is not read).

    Raises
    ------
    ECGReadError
        Not ISHNE, CRC mismatch, no whole sample frame, leads without an amplitude resolution.
    """
    from medts.io.ecgdatakit_io import demographics
    from medts.record import ECG, canonical_lead_name

    path = Path(path)
    with open(path, "rb") as handle:
        if handle.read(8) != b"ISHNE1.0":
            raise ECGReadError(path, "not readable as ISHNE Holter: ecgdatakit recognises no format in it")
    record = _parse_header(path, max_samples)
    no_scale = [lead.label for lead in record.leads if lead.resolution_unit != "uV" or lead.adc_resolution <= 0]
    if no_scale:
        raise ECGReadError(path, f"ISHNE Holter leads {', '.join(no_scale)} have no usable amplitude scale")
    resolutions = [int(lead.adc_resolution) for lead in record.leads]
    signal = np.stack([np.asarray(lead.samples, np.float64) for lead in record.leads], axis=1) * _scale(resolutions)
    leads = tuple(canonical_lead_name(lead.label) for lead in record.leads)
    who = demographics(record)
    metadata = {"format": "ISHNE Holter", "base_datetime": who["base_datetime"]}
    if who["device"]:
        metadata["device"] = who["device"]
    announced, held = record.raw_metadata.get("ecg_size"), ishne_length(path)
    if announced and held is not None and held < announced:
        fs = float(record.leads[0].sampling_rate)
        metadata["carried_notes"] = [(
            f"the ISHNE Holter header announces {announced} samples per lead but the file holds {held} "
            f"({held / fs:g} of {announced / fs:g} s: cut short, or a nominal length in the header); "
            "read as far as it goes")]
    lead_off = dict(zip(leads, record.raw_metadata.get("lead_fault_samples") or []))
    if any(lead_off.values()):
        metadata["lead_off_samples"] = {k: int(v) for k, v in lead_off.items() if v}
    return ECG(signal, fs=float(record.leads[0].sampling_rate), leads=leads, record_id=path.stem, source=str(path),
               age=who["age"], sex=who["sex"], metadata=metadata)
