"""Detect, scan, inspect and safely load uploaded scikit-learn model artifacts.

`inspect_artifact` is called on upload; `load_model` by serving, after the
registry has verified the stored bytes' sha256. Both enforce the allow-list in
`policy.py`; neither ever calls plain `pickle.load` or `joblib.load`.
"""

from .inspect import FORMATS, Inspection, inspect_artifact, load_model

__all__ = ["FORMATS", "Inspection", "inspect_artifact", "load_model"]
