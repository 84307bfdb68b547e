"""Moving artifact bytes: a streamed multipart upload with its length known up front,
and a download that is hashed on the way and only lands once its sha256 matches."""

from __future__ import annotations

import hashlib
import os
import tempfile
import uuid
from collections.abc import Callable, Iterator
from urllib.parse import urljoin

import requests

from registry_client.http.connection import ArtifactIntegrityError, Connection, RegistryClientError

CHUNK = 1024 * 1024
Progress = Callable[[int, int], None]  # (bytes done, bytes in all)


class MultipartBody:
    """multipart/form-data read from disk chunk by chunk. It has a length, so requests
    sends Content-Length rather than chunked encoding (which some servers refuse)."""

    def __init__(self, path: str, fields: dict[str, str], *, progress: Progress | None = None) -> None:
        self.path, self.progress = path, progress
        self.boundary = uuid.uuid4().hex
        parts = [self._part(f'name="{key}"') + value.encode() + b"\r\n" for key, value in fields.items()]
        filename = os.path.basename(path).replace('"', "_")
        parts.append(self._part(f'name="file"; filename="{filename}"', "application/octet-stream"))
        self.head, self.tail = b"".join(parts), f"\r\n--{self.boundary}--\r\n".encode()
        self.size = os.path.getsize(path)

    @property
    def content_type(self) -> str:
        return f"multipart/form-data; boundary={self.boundary}"

    def __len__(self) -> int:
        return len(self.head) + self.size + len(self.tail)

    def __iter__(self) -> Iterator[bytes]:
        yield self.head
        sent = 0
        with open(self.path, "rb") as fh:
            while chunk := fh.read(CHUNK):
                sent += len(chunk)
                if self.progress:
                    self.progress(sent, self.size)
                yield chunk
        yield self.tail

    def _part(self, disposition: str, content_type: str = "") -> bytes:
        header = f"--{self.boundary}\r\nContent-Disposition: form-data; {disposition}\r\n"
        if content_type:
            header += f"Content-Type: {content_type}\r\n"
        return (header + "\r\n").encode()


def file_sha256(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def upload(connection: Connection, path: str, file: str, fields: dict[str, str], progress: Progress | None) -> dict:
    """POST `file` with `fields`; declaring its sha256 lets the server check the bytes
    (and, on S3, stream them to storage as they arrive)."""
    body = MultipartBody(file, fields, progress=progress)
    headers = {"Content-Type": body.content_type, "X-Artifact-SHA256": file_sha256(file)}
    return connection.json("POST", path, data=body, headers=headers, timeout=None)


def download_verified(connection: Connection, path: str, expected_sha256: str, dest: str, what: str) -> None:
    """Write the bytes at `path` to `dest` only if their sha256 is `expected_sha256`;
    otherwise raise ArtifactIntegrityError and leave nothing at `dest`."""
    folder = os.path.dirname(os.path.abspath(dest))
    handle, partial = tempfile.mkstemp(dir=folder, prefix=".registry-", suffix=".part")
    try:
        with os.fdopen(handle, "wb") as out:
            actual = _stream_into(out, _artifact_response(connection, path))
        if actual != expected_sha256:
            raise ArtifactIntegrityError(
                f"{what}: downloaded bytes have sha256 {actual}, the registry recorded {expected_sha256};"
                " refusing to use them"
            )
        os.replace(partial, dest)
    except BaseException:
        os.unlink(partial)
        raise


def _artifact_response(connection: Connection, path: str) -> requests.Response:
    response = connection.send("GET", path, stream=True, allow_redirects=False)
    if not response.is_redirect:
        return response
    # A presigned S3 URL carries its own authorization: our token must not go there.
    location = urljoin(connection.url + path, response.headers["Location"])
    response.close()
    try:
        redirected = requests.get(location, stream=True, timeout=connection.timeout)
    except requests.ConnectionError as exc:
        raise RegistryClientError(f"cannot reach the artifact store: {exc}") from None
    if redirected.status_code >= 400:
        raise RegistryClientError("the artifact store refused the download", status=redirected.status_code)
    return redirected


def _stream_into(out, response: requests.Response) -> str:
    digest = hashlib.sha256()
    try:
        with response:
            for chunk in response.iter_content(CHUNK):
                digest.update(chunk)
                out.write(chunk)
    except requests.RequestException as exc:  # the server broke off: what arrived is incomplete
        raise RegistryClientError(f"the download broke off: {exc}") from None
    return digest.hexdigest()
