"""Signal processing: cleaning, quality, R peaks, delineation, multi-lead fusion, measurements.

NeuroKit2 underneath; the multi-lead fusion (one global fiducial per beat) is medts's own and
is measured by ``medts bench delineation`` against LUDB and QTDB cardiologist annotations.

>>> from medts.signal import measure_ecg, Measurements  # doctest: +SKIP
"""

from medts.signal.measure import Measurements, measure_ecg

__all__ = ["Measurements", "measure_ecg"]
