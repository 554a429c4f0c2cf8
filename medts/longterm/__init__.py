"""Long recordings (Holter-style): windowed analysis streamed from disk with bounded memory.

``analyze_recording(path)`` gives per-window quality, rate and rhythm, AF/flutter episodes, AAMI
beat classes (N / S / V) with ectopy counts, couplets, runs and burden, pauses and the heart-rate
trend. The rules are in :mod:`medts.interpret.longterm`.

>>> from medts.longterm import analyze_recording   # doctest: +SKIP
"""

from medts.longterm.analyze import LongTermResult, analyze_recording

__all__ = ["LongTermResult", "analyze_recording"]
