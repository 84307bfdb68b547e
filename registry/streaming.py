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
from concurrent.futures import Future, ThreadPoolExecutor

from s3transfer.utils import ReadFileChunk

log = logging.getLogger(__name__)

# As s3transfer does: S3 checks each part against its CRC32 as it arrives.
CHECKSUM = "CRC32"


class MultipartStream:
    """One multipart upload of a file that is still being written.

    Each time `written()` reports another whole part on disk, a pool thread sends it,
    reading it back from the file in small reads (from the page cache, as boto3's own
    upload_file does): memory stays flat whatever the part size or the artifact's size.
    """

    def __init__(self, client, bucket: str, key: str, *, source, part_size: int, workers: int, errors: tuple):
        self.client, self.bucket, self.key = client, bucket, key
        self.source = source  # the file being written: flush() and temporary_file_path()
        self.part_size = part_size
        self.errors = errors
        response = client.create_multipart_upload(
            Bucket=bucket, Key=key, ContentType="application/octet-stream", ChecksumAlgorithm=CHECKSUM
        )
        self.upload_id = response["UploadId"]
        self.sent = 0
        self.parts: list[Future] = []
        self.failure: Exception | None = None
        self.finished = False
        self.pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="artifact-part")

    def written(self, total: int) -> None:
        """`total` bytes of the file are written: send any whole part among them."""
        if total - self.sent >= self.part_size:
            self._send(total)

    def flush(self, total: int) -> None:
        """The file is complete: send the last, short part now, so that it travels while
        the scan runs."""
        if total > self.sent:
            self._send(total)

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

    def _send(self, end: int) -> None:
        if self.finished or self.failure is not None:
            return  # the local file still gets every byte: store() uploads from it instead
        self.source.flush()  # the pool reads the part through its own file handle
        number = len(self.parts) + 1
        self.parts.append(self.pool.submit(self._upload_part, number, self.sent, end - self.sent))
        self.sent = end

    def _upload_part(self, number: int, start: int, length: int) -> dict:
        path = self.source.temporary_file_path()
        try:
            with ReadFileChunk.from_filename(path, start, length) as body:
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
