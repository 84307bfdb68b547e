"""The scanning loader: detect, scan and load scikit-learn model artifacts (joblib,
pickle, skops, MLflow archives) without running anything off the allow-list.

Shared by the registry server (which scans uploads with it) and this client (which loads
downloaded versions with it), so both refuse exactly the same files with the same words.
It imports nothing of the server's.
"""

from .errors import UnsafeArtifact
from .loading import FORMATS, load_model

__all__ = ["FORMATS", "UnsafeArtifact", "load_model"]
