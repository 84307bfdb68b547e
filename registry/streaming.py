"""Sending an artifact to S3 as a multipart upload, while it is still arriving if need be.

Artifacts are stored under their sha256, which is normally known only once the last byte
has arrived. When the client declares the digest up front, the key is known from the
first byte, so the parts can leave for S3 while the same bytes are spooled to the local
file that the scan reads. S3 shows no object for a multipart upload until it is
completed, so bytes that turn out to be refused, or not to match the declared digest,
are aborted without ever having been visible. Without a declared digest, the same stream
is fed from the local file once the scan has passed.
"""

from __future__ import annotations

import base64
import logging
import queue
import zlib
from concurrent.futures import Future, ThreadPoolExecutor

log = logging.getLogger(__name__)

# As s3transfer does: S3 checks each part against its CRC32 as it arrives.
CHECKSUM = "CRC32"
CONTENT_TYPE = "application/octet-stream"


class MultipartStream:
    """One multipart upload of a file whose bytes are still arriving.

    The receiving thread copies each chunk as it arrives into a part buffer; every full
    part leaves for S3 from memory, so no byte is read back from disk and botocore makes
    no pass of its own to checksum it. The buffers (`in_flight` + 1 parts) are reused
    from part to part and dropped with the stream. When S3 is slower than the client,
    the receiving thread waits for a free buffer, which slows the client down instead of
    growing memory.

    Each part is a bytearray, which botocore sends in one `sendall`. A file-like body
    (the anonymous memory maps used before) is read and sent 16 KiB at a time, after an
    `Expect: 100-continue` round trip, which costs both ends more CPU per byte; see
    benchmarks/upload_s3.py and the README for the ratios before and after.
    """

    def __init__(self, client, bucket: str, key: str, *, part_size: int, in_flight: int, errors: tuple):
        self.client, self.bucket, self.key = client, bucket, key
        self.part_size = part_size
        self.errors = errors
        response = client.create_multipart_upload(
            Bucket=bucket, Key=key, ContentType=CONTENT_TYPE, ChecksumAlgorithm=CHECKSUM
        )
        self.upload_id = response["UploadId"]
        self.free: queue.SimpleQueue[bytearray] = queue.SimpleQueue()
        for _ in range(in_flight + 1):
            self.free.put(bytearray(part_size))
        self.buffer = self.free.get()
        self.filled = 0
        self.parts: list[Future] = []
        self.failure: Exception | None = None
        self.finished = False
        self.pool = ThreadPoolExecutor(max_workers=in_flight, thread_name_prefix="artifact-part")

    def write(self, chunk: bytes) -> None:
        """The next bytes of the file: each part they fill leaves now."""
        view = memoryview(chunk)
        while view and self._sending():
            taken = min(len(view), self.part_size - self.filled)
            self.buffer[self.filled : self.filled + taken] = view[:taken]
            self.filled += taken
            view = view[taken:]
            if self.filled == self.part_size:
                self._send()

    def flush(self) -> None:
        """The file is complete: send the last, short part now, so that it travels while
        the scan runs."""
        if self.filled and self._sending():
            self._send()

    def complete(self) -> bool:
        """Make the object visible. False when a part failed (`failure` says why), after
        discarding the parts. A failure of the completion itself is raised."""
        self.pool.shutdown(wait=True)
        parts = [] if self.failure is not None else [future.result() for future in self.parts]
        self._release_buffers()
        if not parts:
            log.warning("streaming %s to S3 failed: %s", self.key, self.failure)
            self.abort()
            return False
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
        self._release_buffers()
        try:
            self.client.abort_multipart_upload(Bucket=self.bucket, Key=self.key, UploadId=self.upload_id)
        except self.errors as exc:
            log.warning("could not abort the multipart upload of %s (left to a lifecycle rule): %s", self.key, exc)

    def _sending(self) -> bool:
        # After a failure the local file still gets every byte: store() uploads from it instead.
        return self.buffer is not None and not self.finished and self.failure is None

    def _send(self) -> None:
        buffer, length = self.buffer, self.filled
        body = buffer if length == self.part_size else buffer[:length]  # the last part, copied
        number = len(self.parts) + 1
        future = self.pool.submit(self._upload_part, number, body)
        future.add_done_callback(lambda _: self.free.put(buffer))
        self.parts.append(future)
        self.buffer, self.filled = self.free.get(), 0  # waits while every buffer is in flight

    def _upload_part(self, number: int, body: bytearray) -> dict:
        # Given the checksum, botocore sends it as is instead of reading the body for it.
        checksum = base64.b64encode(zlib.crc32(body).to_bytes(4, "big")).decode()
        try:
            response = self.client.upload_part(
                Bucket=self.bucket,
                Key=self.key,
                UploadId=self.upload_id,
                PartNumber=number,
                Body=body,
                ChecksumCRC32=checksum,
            )
        except self.errors as exc:
            self.failure = self.failure or exc
            raise
        return {"PartNumber": number, "ETag": response["ETag"], f"Checksum{CHECKSUM}": checksum}

    def _release_buffers(self) -> None:
        """Drop the part buffers once every part has finished (the futures' callbacks
        hold them too): each is freed when its last reference goes."""
        self.buffer = None
        self.parts = []
        while not self.free.empty():
            self.free.get()
