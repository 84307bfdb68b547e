"""Filesystem artifact storage whose writes are atomic.

Keys are content hashes, so two writers of one key write the same bytes; what must never
happen is a reader (or the next upload's "already stored?" check) seeing half a file.
Django's FileSystemStorage writes in place and renames colliding names, so we write to a
private temporary name in the target folder and `os.replace` it into place.
"""

from __future__ import annotations

import os
import uuid

from django.core.files.storage import FileSystemStorage


class AtomicFileSystemStorage(FileSystemStorage):
    def get_available_name(self, name, max_length=None):
        return name  # same key, same bytes: replacing is correct

    def _save(self, name, content):
        folder, base = os.path.split(name)
        partial = os.path.join(folder, f".{base}.partial-{uuid.uuid4().hex}")
        written = super()._save(partial, content)
        os.replace(self.path(written), self.path(name))
        return name
