"""Detect, scan, inspect and safely load uploaded scikit-learn model artifacts.

`inspect_artifact` is called on upload; `load_model` by serving, after the
registry has verified the stored bytes' sha256. Both go through the scanning loader in
`registry_client.safety` (shared with the client, its allow-list in `policy.py` there);
neither ever calls plain `pickle.load` or `joblib.load`.
"""

from .inspect import FORMATS, Inspection, inspect_artifact, load_model
from .refusals import refused_content

__all__ = ["FORMATS", "Inspection", "inspect_artifact", "load_model", "refused_content"]
