"""Read zip and tar(.gz) uploads member by member, never extracting to disk.

Every member is vetted before anything is read: no absolute paths, `..`,
backslashes or drive letters (names are later joined to MLmodel paths), no
links, devices or fifos, no encrypted zip entries, at most `MAX_MEMBERS`
members, and a total uncompressed size within `max_unpacked_bytes`. Reads are
bounded by the vetted size, so a forged header cannot make them larger.
"""

from __future__ import annotations

import io
import re
import stat
import tarfile
import zipfile
from collections.abc import Iterator
from typing import IO, Protocol

from registry_site.errors import RefusedContent

MAX_MEMBERS = 10_000
_DRIVE = re.compile(r"^[A-Za-z]:")


class Archive(Protocol):
    names: list[str]  # regular files only, in archive order

    def read(self, name: str, limit: int | None = None) -> bytes | None: ...

    def open(self, name: str) -> IO[bytes]: ...

    def size(self, name: str) -> int: ...

    def close(self) -> None: ...


def check_member_name(name: str) -> None:
    """Refuse a member (or MLmodel-declared) path that could escape its folder."""
    parts = name.split("/")
    if name.startswith("/") or "\\" in name or _DRIVE.match(name) or ".." in parts or "\x00" in name:
        raise RefusedContent(
            f"the archive member {name!r} has an unsafe path",
            details={"member": name},
        )


def _normalised(name: str) -> str:
    # `tar -C dir .` writes "./MLmodel": the same member as "MLmodel".
    while name.startswith("./"):
        name = name[2:]
    return name


class _Budget:
    """Counts members and declared sizes against the limits."""

    def __init__(self, max_unpacked_bytes: int):
        self.limit = max_unpacked_bytes
        self.members = 0
        self.total = 0
        self.seen: set[str] = set()

    def add(self, name: str, size: int, *, regular: bool = True) -> None:
        self.members += 1
        self.total += size
        if self.members > MAX_MEMBERS:
            raise RefusedContent(f"the archive has more than {MAX_MEMBERS} members")
        if self.total > self.limit:
            raise RefusedContent(f"the archive unpacks to more than {self.limit} bytes (the max_unpacked_bytes limit)")
        if regular and name in self.seen:
            raise _refuse_member(name, "appears more than once")
        self.seen.add(name)


def _refuse_member(name: str, why: str) -> RefusedContent:
    return RefusedContent(f"the archive member {name!r} {why}", details={"member": name})


class ZipArchive:
    """A vetted zip file (a path or an open binary file)."""

    def __init__(self, source: str | IO[bytes], max_unpacked_bytes: int):
        try:
            self._zip = zipfile.ZipFile(source)
            infos = self._zip.infolist()
        except (zipfile.BadZipFile, OSError, ValueError) as exc:
            raise RefusedContent(f"the zip archive could not be read: {exc}") from exc
        budget = _Budget(max_unpacked_bytes)
        for info in infos:
            _check_zip_member(info)
            budget.add(_normalised(info.filename), info.file_size, regular=not info.is_dir())
        self._infos = {_normalised(i.filename): i for i in infos if not i.is_dir()}
        self.names = list(self._infos)

    def read(self, name: str, limit: int | None = None) -> bytes | None:
        info = self._infos[name]
        if limit is not None and info.file_size > limit:
            return None
        try:
            with self._zip.open(info) as member:
                return member.read(info.file_size)
        except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
            raise _refuse_member(name, f"could not be read: {exc}") from exc

    def open(self, name: str) -> IO[bytes]:
        """A member as a stream, for copying it out without holding it in memory."""
        return self._zip.open(self._infos[name])

    def size(self, name: str) -> int:
        return self._infos[name].file_size

    def close(self) -> None:
        self._zip.close()


def _check_zip_member(info: zipfile.ZipInfo) -> None:
    check_member_name(info.filename)
    if info.flag_bits & 0x1:
        raise _refuse_member(info.filename, "is encrypted")
    mode = info.external_attr >> 16
    # Unix mode bits: only plain files and folders (zip symlinks are S_IFLNK).
    if stat.S_IFMT(mode) not in (0, stat.S_IFREG, stat.S_IFDIR):
        raise _refuse_member(info.filename, "is a link or special file")


class TarArchive:
    """A vetted tar or tar.gz file."""

    def __init__(self, path: str, max_unpacked_bytes: int):
        try:
            self._tar = tarfile.open(path, mode="r:*")  # noqa: SIM115 (closed by close())
            members = list(_vetted_tar_members(self._tar, _Budget(max_unpacked_bytes)))
        except (tarfile.TarError, OSError, EOFError) as exc:
            raise RefusedContent(f"the tar archive could not be read: {exc}") from exc
        self._members = {_normalised(m.name): m for m in members if m.isreg()}
        self.names = list(self._members)

    def read(self, name: str, limit: int | None = None) -> bytes | None:
        member = self._members[name]
        if limit is not None and member.size > limit:
            return None
        try:
            handle = self._tar.extractfile(member)
            return handle.read(member.size) if handle else b""
        except (tarfile.TarError, OSError, EOFError) as exc:
            raise _refuse_member(name, f"could not be read: {exc}") from exc

    def open(self, name: str) -> IO[bytes]:
        """A member as a stream, for copying it out without holding it in memory."""
        return self._tar.extractfile(self._members[name]) or io.BytesIO()

    def size(self, name: str) -> int:
        return self._members[name].size

    def close(self) -> None:
        self._tar.close()


def _vetted_tar_members(tar: tarfile.TarFile, budget: _Budget) -> Iterator[tarfile.TarInfo]:
    # Walk headers one at a time so the limits stop a bomb before the next
    # member is decompressed.
    while (member := tar.next()) is not None:
        check_member_name(member.name)
        if not (member.isreg() or member.isdir()):
            raise _refuse_member(member.name, "is a link or special file")
        budget.add(_normalised(member.name), member.size, regular=member.isreg())
        yield member


def open_archive(path: str, kind: str, max_unpacked_bytes: int) -> Archive:
    """Open and vet a "zip" or "tar" archive; RefusedContent if any member fails."""
    if kind == "zip":
        return ZipArchive(path, max_unpacked_bytes)
    return TarArchive(path, max_unpacked_bytes)
