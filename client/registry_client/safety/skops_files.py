"""Audit and load skops files with the same allow-list as pickles.

skops refuses types outside its own default trust unless the caller lists
them; `get_untrusted_types` tells which those are. We let skops trust exactly
the ones that pass our policy, and refuse the file otherwise.
"""

from __future__ import annotations

import io
import warnings
from typing import Any

import skops.io
from skops.io.exceptions import UntrustedTypesFoundException

from .archives import ZipArchive
from .errors import UnsafeArtifact
from .pickles import offending_imports_error, pickled_sklearn_version
from .policy import is_allowed_type_name

Source = str | bytes  # a file path, or the bytes of an archive member


def audit_skops(source: Source, *, max_unpacked_bytes: int) -> tuple[str, ...]:
    """Return the skops-untrusted types of a skops file, all of which passed the policy.

    Raises UnsafeArtifact naming the types that did not pass.
    """
    _vet_zip(source, max_unpacked_bytes)
    untrusted = _untrusted_types(source)
    refused = [name for name in untrusted if not is_allowed_type_name(name)]
    if refused:
        raise offending_imports_error(refused)
    return tuple(sorted(set(untrusted)))


def load_skops(source: Source, *, trusted_types: tuple[str, ...]) -> tuple[Any, str]:
    """Load a skops file trusting only `trusted_types` that still pass the policy.

    Returns the object and the scikit-learn version it was saved with.
    """
    refused = [name for name in trusted_types if not is_allowed_type_name(name)]
    if refused:
        raise offending_imports_error(refused)
    trusted = sorted(set(trusted_types))
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            obj = _load(source, trusted)
    except UntrustedTypesFoundException as exc:
        raise UnsafeArtifact(f"the skops file holds types not audited: {exc}") from exc
    except Exception as exc:
        raise UnsafeArtifact(f"the skops file could not be read: {exc}") from exc
    return obj, pickled_sklearn_version(caught)


def _vet_zip(source: Source, max_unpacked_bytes: int) -> None:
    # skops unzips in memory: the same member and size limits as for archives.
    handle = io.BytesIO(source) if isinstance(source, bytes) else source
    ZipArchive(handle, max_unpacked_bytes).close()


def _untrusted_types(source: Source) -> list[str]:
    try:
        if isinstance(source, bytes):
            return skops.io.get_untrusted_types(data=source)
        return skops.io.get_untrusted_types(file=source)
    except Exception as exc:
        raise UnsafeArtifact(f"the skops file could not be read: {exc}") from exc


def _load(source: Source, trusted: list[str]) -> Any:
    if isinstance(source, bytes):
        return skops.io.loads(source, trusted=trusted)
    return skops.io.load(source, trusted=trusted)
