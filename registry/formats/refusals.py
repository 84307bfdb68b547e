"""The one place the scanning loader's refusals become the server's errors."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from registry_client.safety import UnsafeArtifact
from registry_site.errors import RefusedContent


@contextlib.contextmanager
def refused_content() -> Iterator[None]:
    """Raise the loader's UnsafeArtifact as RefusedContent (422), same message and
    details: the loader is shared with the client and knows nothing of HTTP."""
    try:
        yield
    except UnsafeArtifact as exc:
        raise RefusedContent(exc.message, details=exc.details) from exc
