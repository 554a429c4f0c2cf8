"""PTB-XL statement classifiers: 1-D CNNs, training, calibration, attribution, inference.

Modules: :mod:`~medts.classify.preprocess` (band-pass + per-lead standardisation),
:mod:`~medts.classify.models` (xresnet1d, inception1d), :mod:`~medts.classify.data`
(memory-mapped PTB-XL cache, crops, sliding windows), :mod:`~medts.classify.train`
(``accelerate``), :mod:`~medts.classify.calibrate` (per-statement thresholds),
:mod:`~medts.classify.attribution` (captum integrated gradients / occlusion),
:mod:`~medts.classify.predict` (:class:`~medts.classify.predict.Classifier`),
:mod:`~medts.classify.select` (greedy, cost-aware choice of ensemble members on the validation fold),
:mod:`~medts.classify.card` (validation metrics, ensemble comparison, model card).
"""
