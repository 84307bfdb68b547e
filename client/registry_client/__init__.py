"""Client for the model registry: ports that training code is written against, in-process
defaults, and HTTP adapters for the registry server."""

from registry_client.local import InMemoryRegistry, LocalModelServer, NoOpLineage, NoOpTracker
from registry_client.ports import LineageEvent, LineagePort, ModelServerPort, RegistryPort, RunHandle, TrackerPort

__all__ = [
    "InMemoryRegistry",
    "LineageEvent",
    "LineagePort",
    "LocalModelServer",
    "ModelServerPort",
    "NoOpLineage",
    "NoOpTracker",
    "RegistryPort",
    "RunHandle",
    "TrackerPort",
]
