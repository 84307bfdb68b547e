"""Sending an artifact to S3 while it is still arriving, as a multipart upload.

Artifacts are stored under their sha256, which is normally known only once the last byte
has arrived. When the client declares the digest up front, the key is known from the
first byte, so the parts can leave for S3 while the same bytes are spooled to the local
file that the scan reads. S3 shows no object for a multipart upload until it is
completed, so bytes that turn out to be refused, or not to match the declared digest,
are aborted without ever having been visible.
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import Future, ThreadPoolExecutor

log = logging.getLogger(__name__)

# As s3transfer does: S3 checks each part against its CRC32 as it arrives.
CHECKSUM = "CRC32"


class MultipartStream:
    """One multipart upload fed by `write()`; parts go out on a small pool of threads.

    At most `workers` parts (plus the one being filled) are in memory: when S3 is slower
    than the client, `write()` waits, which slows the receiving instead of growing it.
    """

    def __init__(self, client, bucket: str, key: str, *, part_size: int, workers: int, errors: tuple):
        self.client, self.bucket, self.key = client, bucket, key
        self.part_size = part_size
        self.errors = errors
        response = client.create_multipart_upload(
            Bucket=bucket, Key=key, ContentType="application/octet-stream", ChecksumAlgorithm=CHECKSUM
        )
        self.upload_id = response["UploadId"]
        self.buffer = bytearray()
        self.parts: list[Future] = []
        self.failure: Exception | None = None
        self.finished = False
        self.slots = threading.Semaphore(workers)
        self.pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="artifact-part")

    def write(self, data: bytes) -> None:
        if self.finished or self.failure is not None:
            return  # the local file still gets every byte: store() uploads from it instead
        self.buffer += data
        if len(self.buffer) >= self.part_size:
            self._send()

    def flush(self) -> None:
        """Send the last, short part now, so that it travels while the scan runs."""
        if self.buffer and not self.finished and self.failure is None:
            self._send()

    def complete(self) -> bool:
        """Make the object visible. False when a part failed: the caller stores the bytes
        another way. A failure of the completion itself is raised."""
        self.pool.shutdown(wait=True)
        if self.failure is not None or not self.parts:
            log.warning("streaming %s to S3 failed (%s); uploading the local copy instead", self.key, self.failure)
            self.abort()
            return False
        parts = [future.result() for future in self.parts]
        self.client.complete_multipart_upload(
            Bucket=self.bucket, Key=self.key, UploadId=self.upload_id, MultipartUpload={"Parts": parts}
        )
        self.finished = True
        return True

    def abort(self) -> None:
        """Discard the parts; a no-op once completed or aborted."""
        if self.finished:
            return
        self.finished = True
        # A part still in flight could land after the abort and linger: let those finish first.
        self.pool.shutdown(wait=True, cancel_futures=True)
        try:
            self.client.abort_multipart_upload(Bucket=self.bucket, Key=self.key, UploadId=self.upload_id)
        except self.errors as exc:
            log.warning("could not abort the multipart upload of %s (left to a lifecycle rule): %s", self.key, exc)

    def _send(self) -> None:
        self.slots.acquire()
        number = len(self.parts) + 1
        future = self.pool.submit(self._upload_part, number, self.buffer)
        future.add_done_callback(lambda _: self.slots.release())
        self.parts.append(future)
        self.buffer = bytearray()  # a new buffer: the pool owns the old one now, no copy made

    def _upload_part(self, number: int, body: bytearray) -> dict:
        try:
            response = self.client.upload_part(
                Bucket=self.bucket,
                Key=self.key,
                UploadId=self.upload_id,
                PartNumber=number,
                Body=body,
                ChecksumAlgorithm=CHECKSUM,
            )
        except self.errors as exc:
            self.failure = self.failure or exc
            raise
        part = {"PartNumber": number, "ETag": response["ETag"]}
        if f"Checksum{CHECKSUM}" in response:
            part[f"Checksum{CHECKSUM}"] = response[f"Checksum{CHECKSUM}"]
        return part
