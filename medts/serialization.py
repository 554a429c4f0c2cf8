"""JSON for NumPy values and paths: the one ``default=`` hook every JSON writer in medts passes to ``json.dumps``.

>>> import json, numpy as np
>>> json.dumps({"auc": np.float32(0.5), "ids": np.arange(2)}, default=json_default)
'{"auc": 0.5, "ids": [0, 1]}'
"""

from __future__ import annotations

from pathlib import Path
from typing import Any


def json_default(value: Any) -> Any:
    """``json.dumps(default=...)`` for NumPy scalars/arrays and paths."""
    import numpy as np

    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")
