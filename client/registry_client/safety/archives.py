"""Read zip and tar(.gz) uploads member by member, never extracting to disk.

Every member is vetted before anything is read: no absolute paths, `..`,
backslashes or drive letters (names are later joined to MLmodel paths), no
links, devices or fifos, no encrypted zip entries, at most `MAX_MEMBERS`
members, and a total uncompressed size within `max_unpacked_bytes`. Reads are
bounded by the vetted size, so a forged header cannot make them larger.

Compression bombs: past the first `RATIO_FREE_BYTES`, nothing may unpack to more
than `MAX_RATIO` times the compressed bytes it comes from. The declared sizes are
checked when the archive is opened, and the bytes produced again while a member is
copied (a tar.gz against the compressed bytes read so far, as gzip compresses the
whole tar), so a header that lies cannot get a bomb past the bound. Members are
copied in chunks, never read whole (`copy`); only small ones are read (`read`).
"""

from __future__ import annotations

import io
import re
import stat
import tarfile
import zipfile
import zlib
from collections.abc import Callable, Iterator
from typing import IO, Protocol

from .errors import UnsafeArtifact

MAX_MEMBERS = 10_000
# The compression ratio bound, as Apache POI's ZipSecureFile sets it for zip containers
# (deflate itself reaches ~1030:1). The models of tests/registry/test_accepted_estimators.py
# pickle at 1.3-4.6:1, a 10 MB forest at 4.8:1 and a 50 MB k-NN over mostly zero columns at
# 9.8:1; large all-zero arrays reach ~1000:1 but are only refused past RATIO_FREE_BYTES,
# where an archive that inflates 100-fold spends far more disk and time than it sends.
MAX_RATIO = 100
RATIO_FREE_BYTES = 64 * 1024**2
COPY_CHUNK = 1024 * 1024
_DRIVE = re.compile(r"^[A-Za-z]:")


def unpack_allowance(compressed: int) -> int:
    """The most bytes that `compressed` compressed bytes may unpack to."""
    return max(RATIO_FREE_BYTES, compressed * MAX_RATIO)


def compression_bomb(what: str, details: dict | None = None) -> UnsafeArtifact:
    """The 422 for anything unpacking beyond the compression ratio bound."""
    return UnsafeArtifact(
        f"{what} unpacks to more than {MAX_RATIO} times its compressed size: refused as a compression bomb"
        f" (the ratio bound applies past {RATIO_FREE_BYTES} unpacked bytes)",
        details=details,
    )


class Archive(Protocol):
    names: list[str]  # regular files only, in archive order

    def read(self, name: str, limit: int) -> bytes | None: ...

    def copy(self, name: str, target: IO[bytes], limit: int) -> None: ...

    def open(self, name: str) -> IO[bytes]: ...

    def size(self, name: str) -> int: ...

    def close(self) -> None: ...


def check_member_name(name: str) -> None:
    """Refuse a member (or MLmodel-declared) path that could escape its folder."""
    parts = name.split("/")
    if name.startswith("/") or "\\" in name or _DRIVE.match(name) or ".." in parts or "\x00" in name:
        raise UnsafeArtifact(
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
            raise UnsafeArtifact(f"the archive has more than {MAX_MEMBERS} members")
        if self.total > self.limit:
            raise UnsafeArtifact(f"the archive unpacks to more than {self.limit} bytes (the max_unpacked_bytes limit)")
        if regular and name in self.seen:
            raise _refuse_member(name, "appears more than once")
        self.seen.add(name)


def _refuse_member(name: str, why: str) -> UnsafeArtifact:
    return UnsafeArtifact(f"the archive member {name!r} {why}", details={"member": name})


def _member_bomb(name: str) -> UnsafeArtifact:
    return compression_bomb(f"the archive member {name!r}", details={"member": name})


def _copy(source: IO[bytes], target: IO[bytes], check: Callable[[int], None]) -> None:
    """Copy in chunks, calling `check` with the running total after each one."""
    produced = 0
    while chunk := source.read(COPY_CHUNK):
        produced += len(chunk)
        check(produced)
        target.write(chunk)


def size_of(stream: IO[bytes]) -> int:
    position = stream.tell()
    size = stream.seek(0, io.SEEK_END)
    stream.seek(position)
    return size


class _Members:
    """What zip and tar archives share: small members read through `copy`."""

    def size(self, name: str) -> int:
        raise NotImplementedError

    def copy(self, name: str, target: IO[bytes], limit: int) -> None:
        raise NotImplementedError

    def read(self, name: str, limit: int) -> bytes | None:
        """A small member's bytes; None if it declares more than `limit` bytes."""
        if self.size(name) > limit:
            return None
        buffer = io.BytesIO()
        self.copy(name, buffer, limit)
        return buffer.getvalue()

    @staticmethod
    def _checker(name: str, limit: int, allowance: Callable[[], int], start: int = 0) -> Callable[[int], None]:
        def check(produced: int) -> None:
            if produced > limit:
                raise _refuse_member(name, f"unpacks to more than {limit} bytes (the max_unpacked_bytes limit)")
            if start + produced > allowance():
                raise _member_bomb(name)

        return check


class ZipArchive(_Members):
    """A vetted zip file (a path or an open binary file)."""

    def __init__(self, source: str | IO[bytes], max_unpacked_bytes: int):
        try:
            self._zip = zipfile.ZipFile(source)
            infos = self._zip.infolist()
            self._archive_size = size_of(self._zip.fp)
        except (zipfile.BadZipFile, OSError, ValueError) as exc:
            raise UnsafeArtifact(f"the zip archive could not be read: {exc}") from exc
        try:
            self._vet(infos, _Budget(max_unpacked_bytes))
        except UnsafeArtifact:
            self._zip.close()
            raise
        self._infos = {_normalised(i.filename): i for i in infos if not i.is_dir()}
        self.names = list(self._infos)

    def _vet(self, infos: list[zipfile.ZipInfo], budget: _Budget) -> None:
        for info in infos:
            _check_zip_member(info)
            budget.add(_normalised(info.filename), info.file_size, regular=not info.is_dir())
            if info.file_size > self._allowance(info):
                raise _member_bomb(info.filename)

    def _allowance(self, info: zipfile.ZipInfo) -> int:
        # zipfile reads at most compress_size bytes for a member, but that header may
        # overstate it (to look like a low ratio): no member has more than the file.
        return unpack_allowance(min(info.compress_size, self._archive_size))

    def copy(self, name: str, target: IO[bytes], limit: int) -> None:
        """Copy a member in chunks, refusing it past `limit` bytes or the ratio bound."""
        info = self._infos[name]
        allowance = self._allowance(info)
        try:
            with self._zip.open(info) as member:
                _copy(member, target, self._checker(name, limit, lambda: allowance))
        except (zipfile.BadZipFile, OSError, ValueError, EOFError, zlib.error) as exc:
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


class TarArchive(_Members):
    """A vetted tar or tar.gz file."""

    def __init__(self, path: str, max_unpacked_bytes: int):
        # Our own handle on the compressed file: its position is the compressed bytes read.
        self._raw = open(path, "rb")  # noqa: SIM115 (closed by close())
        try:
            self._archive_size = size_of(self._raw)
            self._tar = tarfile.open(fileobj=self._raw, mode="r:*")  # noqa: SIM115 (closed by close())
            members = list(self._vetted_members(_Budget(max_unpacked_bytes)))
        except (tarfile.TarError, OSError, EOFError, zlib.error) as exc:
            self._raw.close()
            raise UnsafeArtifact(f"the tar archive could not be read: {exc}") from exc
        except UnsafeArtifact:
            self._raw.close()
            raise
        self._members = {_normalised(m.name): m for m in members if m.isreg()}
        self.names = list(self._members)

    def _vetted_members(self, budget: _Budget) -> Iterator[tarfile.TarInfo]:
        # Walk headers one at a time so the limits stop a bomb before the next
        # member is decompressed (tarfile seeks over a member by decompressing it).
        previous = None
        while (member := self._tar.next()) is not None:
            # Reaching this header unpacked the previous member (tarfile seeks over it).
            if previous is not None and self._tar.fileobj.tell() > unpack_allowance(self._raw.tell()):
                raise _member_bomb(previous.name)
            check_member_name(member.name)
            if not (member.isreg() or member.isdir()):
                raise _refuse_member(member.name, "is a link or special file")
            budget.add(_normalised(member.name), member.size, regular=member.isreg())
            # gzip compresses the whole tar as one stream: up to this member's end it
            # cannot unpack beyond the bound of the whole file.
            if member.offset_data + member.size > unpack_allowance(self._archive_size):
                raise _member_bomb(member.name)
            previous = member
            yield member

    def copy(self, name: str, target: IO[bytes], limit: int) -> None:
        """Copy a member in chunks, refusing it past `limit` bytes or once the stream has
        unpacked beyond the ratio bound of the compressed bytes read so far."""
        member = self._members[name]
        check = self._checker(name, limit, lambda: unpack_allowance(self._raw.tell()), start=member.offset_data)
        try:
            handle = self._tar.extractfile(member)
            if handle is not None:
                _copy(handle, target, check)
        except (tarfile.TarError, OSError, EOFError, zlib.error) as exc:
            raise _refuse_member(name, f"could not be read: {exc}") from exc

    def open(self, name: str) -> IO[bytes]:
        """A member as a stream, for copying it out without holding it in memory."""
        return self._tar.extractfile(self._members[name]) or io.BytesIO()

    def size(self, name: str) -> int:
        return self._members[name].size

    def close(self) -> None:
        self._tar.close()
        self._raw.close()


def open_archive(path: str, kind: str, max_unpacked_bytes: int) -> Archive:
    """Open and vet a "zip" or "tar" archive; UnsafeArtifact if any member fails."""
    if kind == "zip":
        return ZipArchive(path, max_unpacked_bytes)
    return TarArchive(path, max_unpacked_bytes)
