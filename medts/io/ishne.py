"""ISHNE Holter 1.0 ``.ecg`` files (Badilini F., Ann Noninvasive Electrocardiol 1998;3:263-266),
decoded by ``ecgdatakit``: long ambulatory recordings, 1-12 leads of int16 samples.

medts checks around the decoder (:mod:`medts.io.ecgdatakit_io`): the header CRC, every lead in
mV, and that the file holds all the samples per lead its header announces (ecgdatakit reads a
truncated file with a warning only). Age (from birth and recording dates), sex, recording start
and the recorder go to the record; lead-off samples (-32768) are counted under
``metadata["lead_off_samples"]`` and left in place (medts' amplitude checks flag them). The
whole file is read into memory: 24 h of 3 leads at 200 Hz is about 400 MB as float64.
"""

from __future__ import annotations

from pathlib import Path

from medts.errors import ECGReadError
from medts.io.device import read_errors_only


@read_errors_only
def read_ishne(path: str | Path):
    """Read an ISHNE Holter ``.ecg`` file into an :class:`~medts.record.ECG` (signals in mV).

    Raises
    ------
    ECGReadError
        Not ISHNE, CRC mismatch, truncated signal, leads without an amplitude resolution.
    """
    from medts.io.ecgdatakit_io import demographics, parse, signal_mv
    from medts.record import ECG

    path = Path(path)
    record = parse(path, "ISHNEHolterParser", "ISHNE Holter")
    leads, signal = signal_mv(record, path, "ISHNE Holter")
    announced = record.raw_metadata.get("ecg_size")
    if announced and signal.shape[0] < announced:
        raise ECGReadError(path, f"ISHNE Holter header announces {announced} samples per lead but the file holds "
                                 f"{signal.shape[0]} (truncated)")
    who = demographics(record)
    metadata = {"format": "ISHNE Holter", "base_datetime": who["base_datetime"]}
    if who["device"]:
        metadata["device"] = who["device"]
    lead_off = dict(zip(leads, record.raw_metadata.get("lead_fault_samples") or []))
    if any(lead_off.values()):
        metadata["lead_off_samples"] = {k: int(v) for k, v in lead_off.items() if v}
    return ECG(signal, fs=float(record.leads[0].sampling_rate), leads=leads, record_id=path.stem, source=str(path),
               age=who["age"], sex=who["sex"], metadata=metadata)
