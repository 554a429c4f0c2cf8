"""Long recordings (Holter-style): windowed analysis streamed from disk with bounded memory.

``medts.longterm.analyze.analyze_recording(source)`` gives per-window quality, rate and rhythm,
AF/flutter episodes, AAMI beat classes (N / S / V) with ectopy counts, couplets, runs and burden,
pauses and the heart-rate trend. The rules are in :mod:`medts.interpret.longterm`.

The package imports nothing itself: :mod:`medts.longterm.stream` (opening a record) stays light, so
a command refuses a bad file before it imports NeuroKit2 (:mod:`medts.longterm.analyze`).
"""
