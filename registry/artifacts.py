"""The artifact store: content-addressed, immutable, verified on every load.

A thin layer over Django's storage API (`STORAGES["artifacts"]`: a folder or an S3 bucket
through django-storages). Everything here streams in chunks; nothing holds a whole
artifact in memory.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import math
import os
import posixpath
import re
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import BinaryIO

from botocore.exceptions import BotoCoreError, ClientError
from django.conf import settings
from django.core.files import File
from django.core.files.storage import storages
from django.core.files.uploadedfile import TemporaryUploadedFile, UploadedFile
from django.core.files.uploadhandler import FileUploadHandler

from registry import spool
from registry.streaming import CHECKSUM, CONTENT_TYPE, MultipartStream
from registry_site.errors import IntegrityFailure, InvalidParameter, PayloadTooLarge, StorageUnavailable

log = logging.getLogger(__name__)

CHUNK = 1024 * 1024
# Room for the multipart envelope and the small form fields around the file.
FORM_OVERHEAD_BYTES = 4 * 1024 * 1024
STORAGE_ERRORS = (BotoCoreError, ClientError, OSError)
# The header in which a client declares the sha256 of the `file` it uploads; downloads
# answer with the same header.
SHA256_HEADER = "X-Artifact-SHA256"
ARTIFACT_FIELD = "file"
SHA256_HEX = re.compile(r"[0-9a-f]{64}")
# S3 allows 10,000 parts per upload: parts grow when the upload limit needs them to.
S3_MAX_PARTS = 10_000
# Parts come no faster than the client sends them, so a few connections keep up. Each part
# in flight is held in memory (an 8 MiB buffer, plus the one being filled): 6 instead of 3
# cost a 1 GiB upload 25 MiB more of peak memory for no throughput beyond the noise.
STREAM_PARTS_IN_FLIGHT = 3


@dataclass(frozen=True)
class IncomingArtifact:
    """Bytes spooled to a local file, with their sha256 and size already computed."""

    path: str
    sha256: str
    size: int
    # Already on its way to S3 (declared digest): store() completes it instead of uploading.
    stream: MultipartStream | None = None


def artifact_key(sha256: str) -> str:
    return f"sha256/{sha256[:2]}/{sha256}"


def artifact_storage():
    return storages["artifacts"]


def too_large(size: int) -> PayloadTooLarge:
    limit = settings.REGISTRY_MAX_UPLOAD_BYTES
    return PayloadTooLarge(f"the artifact is larger than the limit of {limit} bytes (got {size}+)")


class Sha256Behind:
    """The sha256 of a stream of chunks, computed on a helper thread one chunk behind the
    caller: hashlib releases the GIL, so hashing a chunk overlaps receiving and writing
    the next instead of adding to them (benchmarks/upload_s3.py, "receiving+parse").
    One chunk at most is held for hashing, so memory does not grow with a slow hash.
    Use it as a context manager, or call hexdigest(): either stops the thread."""

    def __init__(self):
        self._hasher = hashlib.sha256()
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="artifact-sha256")
        self._pending: Future | None = None

    def update(self, chunk: bytes) -> None:
        self._wait()
        self._pending = self._pool.submit(self._hasher.update, chunk)

    def hexdigest(self) -> str:
        self._wait()
        self.close()
        return self._hasher.hexdigest()

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)

    def _wait(self) -> None:
        if self._pending is not None:
            self._pending.result()
            self._pending = None

    def __enter__(self) -> Sha256Behind:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


# --- getting bytes in ----------------------------------------------------------------


class SpooledUpload(TemporaryUploadedFile):
    """Django's TemporaryUploadedFile, kept in this process's spool folder (registry.spool)
    so that a worker killed mid-upload leaves nothing that outlives the next sweep."""

    def __init__(self, name, content_type, charset, content_type_extra=None):
        # TemporaryUploadedFile.__init__ would make its file in FILE_UPLOAD_TEMP_DIR itself.
        file = spool.named_file(prefix="upload-", suffix=".upload")
        UploadedFile.__init__(self, file, name, content_type, 0, charset, content_type_extra)


class ArtifactUploadHandler(FileUploadHandler):
    """Spools each uploaded file to disk while hashing it; refuses oversize bodies early.

    When the request declares the sha256 of its `file` (header X-Artifact-SHA256), that
    file must match it, and on S3 its bytes also stream to their final key as they arrive.
    """

    chunk_size = 1024 * 1024  # Django's 64 KiB default makes parsing a large body CPU-bound

    def __init__(self, request=None):
        super().__init__(request)
        self.declared: str | None = None
        self.hasher: Sha256Behind | None = None
        self.stream: MultipartStream | None = None
        self.sending: MultipartStream | None = None
        self.spools: list[SpooledUpload] = []

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        limit = settings.REGISTRY_MAX_UPLOAD_BYTES
        if content_length and content_length > limit + FORM_OVERHEAD_BYTES:
            raise too_large(content_length)
        self.declared = declared_sha256(META)

    def new_file(self, field_name, *args, **kwargs):
        super().new_file(field_name, *args, **kwargs)
        self.file = SpooledUpload(self.file_name, self.content_type, self.charset, self.content_type_extra)
        self.spools.append(self.file)
        self.hasher = Sha256Behind()
        self.received = 0
        self.sending = None
        if self._is_declared_file() and self.stream is None:  # one stream per request
            self.stream = self.sending = begin_streaming(self.declared)

    def receive_data_chunk(self, raw_data, start):
        self.received += len(raw_data)
        if self.received > settings.REGISTRY_MAX_UPLOAD_BYTES:
            raise too_large(self.received)
        self.hasher.update(raw_data)
        self.file.write(raw_data)
        if self.sending is not None:
            self.sending.write(raw_data)

    def file_complete(self, file_size):
        self.file.seek(0)
        self.file.size = file_size
        self.file.sha256 = self.hasher.hexdigest()
        if self._is_declared_file() and self.file.sha256 != self.declared:
            raise InvalidParameter(
                f"{SHA256_HEADER}: the file's sha256 is {self.file.sha256}, not the declared {self.declared};"
                " nothing was stored"
            )
        if self.sending is not None:
            self.sending.flush()
        self.file.stream = self.sending
        return self.file

    def release(self) -> None:
        """Abort a stream the request did not complete (refused, invalid or failed) and
        remove the spooled files, whether the request got them or an error cut it short."""
        if self.stream is not None:
            self.stream.abort()
        if self.hasher is not None:
            self.hasher.close()
        for file in self.spools:
            file.close()

    def _is_declared_file(self) -> bool:
        return self.declared is not None and self.field_name == ARTIFACT_FIELD


@contextlib.contextmanager
def receiving(request) -> Iterator[None]:
    """Receive this request's files through ArtifactUploadHandler. Set it before anything
    reads the body. On the way out, whatever happened, bytes streamed to S3 that were not
    stored as an artifact are aborted, so they never become an object, and the spooled
    files are removed."""
    handler = ArtifactUploadHandler(request)
    request.upload_handlers = [handler]
    try:
        yield
    finally:
        handler.release()


def declared_sha256(meta) -> str | None:
    raw = meta.get("HTTP_X_ARTIFACT_SHA256")
    if raw is None:
        return None
    value = raw.strip().lower()
    if not SHA256_HEX.fullmatch(value):
        raise InvalidParameter(f"{SHA256_HEADER} must be the file's sha256 as 64 hexadecimal digits, not {raw[:80]!r}")
    return value


def incoming_from_upload(uploaded) -> IncomingArtifact:
    """The artifact of a file received by ArtifactUploadHandler."""
    return IncomingArtifact(uploaded.temporary_file_path(), uploaded.sha256, uploaded.size, uploaded.stream)


@contextlib.contextmanager
def spooled(source: BinaryIO) -> Iterator[IncomingArtifact]:
    """Copy a stream to a private temporary file, hashing it; removed on exit."""
    limit = settings.REGISTRY_MAX_UPLOAD_BYTES
    with (
        spool.named_file(prefix="artifact-") as tmp,
        Sha256Behind() as hasher,
    ):
        size = 0
        while chunk := source.read(CHUNK):
            size += len(chunk)
            if size > limit:
                raise too_large(size)
            hasher.update(chunk)
            tmp.write(chunk)
        tmp.flush()
        yield IncomingArtifact(tmp.name, hasher.hexdigest(), size)


# --- storing ---------------------------------------------------------------------------


def store(artifact: IncomingArtifact) -> str:
    """Put the bytes under their content key unless an intact copy is already there."""
    key = artifact_key(artifact.sha256)
    storage = artifact_storage()
    try:
        if artifact.stream is not None and artifact.stream.complete():
            return key
        if storage.exists(key) and storage.size(key) == artifact.size:
            return key
        _write(storage, key, artifact)
    except STORAGE_ERRORS as exc:
        log.warning("artifact store failed for %s: %s", key, exc)
        raise StorageUnavailable(f"the artifact store is unavailable: {exc}") from exc
    return key


def _write(storage, key: str, artifact: IncomingArtifact) -> None:
    if not _is_s3(storage):
        with open(artifact.path, "rb") as fh:
            storage.save(key, File(fh, name=key))
        return
    name = _s3_name(storage, key)
    with open(artifact.path, "rb") as fh:
        if artifact.size <= _part_size(storage):
            # One request: a multipart upload of a single part would take three.
            storage.connection.meta.client.put_object(
                Bucket=storage.bucket_name, Key=name, Body=fh, ContentType=CONTENT_TYPE, ChecksumAlgorithm=CHECKSUM
            )
            return
        # The same multipart stream as a declared upload's, fed from the local copy.
        stream = _multipart_stream(storage, name)
        try:
            while stream.failure is None and (chunk := fh.read(CHUNK)):
                stream.write(chunk)
            stream.flush()
            if not stream.complete():
                raise stream.failure
        finally:
            stream.abort()  # a no-op once completed


def begin_streaming(sha256: str) -> MultipartStream | None:
    """A multipart upload to the artifact's S3 key, fed with the bytes as they arrive. None
    when there is nothing to stream: a folder store, an object already there (identical
    bytes are stored once), or S3 failing now (store() then retries from the local file
    and answers 503 if S3 still fails)."""
    storage = artifact_storage()
    if not _is_s3(storage):
        return None
    key = artifact_key(sha256)
    try:
        if storage.exists(key):
            return None
        return _multipart_stream(storage, _s3_name(storage, key))
    except STORAGE_ERRORS as exc:
        log.warning("could not start streaming %s to S3: %s", key, exc)
        return None


def _multipart_stream(storage, name: str) -> MultipartStream:
    return MultipartStream(
        storage.connection.meta.client,
        storage.bucket_name,
        name,
        part_size=_part_size(storage),
        in_flight=min(storage.transfer_config.max_concurrency, STREAM_PARTS_IN_FLIGHT),
        errors=STORAGE_ERRORS,
    )


def _part_size(storage) -> int:
    return max(
        storage.transfer_config.multipart_chunksize, math.ceil(settings.REGISTRY_MAX_UPLOAD_BYTES / S3_MAX_PARTS)
    )


def _is_s3(storage) -> bool:
    return hasattr(storage, "bucket")


def _s3_name(storage, key: str) -> str:
    return posixpath.join(storage.location, key) if storage.location else key


# --- getting bytes out -----------------------------------------------------------------


def open_stream(sha256: str) -> BinaryIO:
    """The stored bytes as a file object, for streaming a download."""
    try:
        return artifact_storage().open(artifact_key(sha256), "rb")
    except FileNotFoundError:
        raise IntegrityFailure(f"the artifact {sha256} is missing from the store") from None
    except STORAGE_ERRORS as exc:
        raise StorageUnavailable(f"the artifact store is unavailable: {exc}") from exc


def presigned_url(sha256: str) -> str | None:
    """A short-lived direct URL when the store can give one (S3), else None."""
    storage = artifact_storage()
    if not settings.ARTIFACTS_REDIRECT_DOWNLOADS or not hasattr(storage, "bucket_name"):
        return None
    return storage.url(artifact_key(sha256))


@contextlib.contextmanager
def verified_copy(sha256: str, size: int) -> Iterator[str]:
    """A private local copy of the artifact, yielded only if its sha256 matches.

    Loading reads this copy, never the store, so bytes changed in the store after the
    check cannot reach the deserializer.
    """
    with open_stream(sha256) as source, spool.private_folder("verified-") as folder:
        path = os.path.join(folder, "artifact")
        copied = 0
        with open(path, "wb") as target, Sha256Behind() as hasher:
            while chunk := source.read(CHUNK):
                hasher.update(chunk)
                copied += len(chunk)
                target.write(chunk)
            found = hasher.hexdigest()
        if found != sha256 or copied != size:
            log.error("artifact %s failed verification (got sha256 %s, %d bytes)", sha256, found, copied)
            raise IntegrityFailure(
                f"the stored artifact does not match its recorded sha256 {sha256}: refusing to load it"
            )
        yield path
