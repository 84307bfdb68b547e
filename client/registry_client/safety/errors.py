"""The one error the safe loader raises: the bytes were understood and refused."""

from __future__ import annotations


class UnsafeArtifact(Exception):
    """An artifact refused as unsafe or unreadable. `message` says why in a sentence a
    user can act on; `details` adds what the refusal names (offending imports, a member)."""

    def __init__(self, message: str, *, details: dict | None = None):
        super().__init__(message)
        self.message = message
        self.details = details or {}
