"""PTB-XL statement classifiers: 1-D CNNs, training, calibration, attribution, inference.

Modules: :mod:`~medts.classify.preprocess` (band-pass + per-lead standardisation),
:mod:`~medts.classify.models` (xresnet1d, inception1d), :mod:`~medts.classify.data`
(memory-mapped PTB-XL cache, crops, sliding windows), :mod:`~medts.classify.train`
(``accelerate``), :mod:`~medts.classify.calibrate` (per-statement thresholds),
:mod:`~medts.classify.attribution` (captum integrated gradients / occlusion),
:mod:`~medts.classify.predict` (:class:`~medts.classify.predict.Classifier`).
"""
