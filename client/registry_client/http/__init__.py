"""HTTP adapters for the registry server. Standard library and requests only: loading a
model's bytes (HttpRegistry.load) imports the scanning loader when it is called."""

from registry_client.http.connection import ArtifactIntegrityError, RegistryClientError
from registry_client.http.lineage import HttpLineage
from registry_client.http.registry import HttpRegistry
from registry_client.http.serving import HttpModelServer
from registry_client.http.tracking import HttpTracker

__all__ = [
    "ArtifactIntegrityError",
    "HttpLineage",
    "HttpModelServer",
    "HttpRegistry",
    "HttpTracker",
    "RegistryClientError",
]
