"""Tell the artifact format from its bytes, never from its name."""

from __future__ import annotations

import gzip
import io
import re
import zipfile
from dataclasses import dataclass

from joblib.compressor import _COMPRESSORS
from joblib.numpy_pickle_utils import _detect_compressor

from .errors import UnsafeArtifact

_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
_TAR_MAGIC_OFFSET = 257  # "ustar" in the first 512-byte header block
_TOP_LEVEL_MLMODEL = re.compile(r"^(?:\./)?[^/]+/MLmodel$")


@dataclass(frozen=True)
class Detected:
    family: str  # "pickle" (joblib or bare pickle) | "skops" | "mlflow"
    container: str  # "raw" | a joblib compressor name | "zip" | "tar"


def detect(path: str) -> Detected:
    """Detect the format of the file at `path`; UnsafeArtifact if unrecognised."""
    with open(path, "rb") as handle:
        head = handle.read(512)
    if head.startswith(_ZIP_MAGIC):
        return _detect_zip(path)
    if _is_tar(head) or _is_gzipped_tar(path, head):
        return Detected("mlflow", "tar")
    compressor = _detect_compressor(io.BytesIO(head))
    if compressor in _COMPRESSORS and _is_pickle(_decompressed_head(path, compressor)):
        return Detected("pickle", compressor)
    if compressor == "not-compressed" and _is_pickle(head):
        return Detected("pickle", "raw")
    raise _unrecognised("no pickle, joblib, skops or MLflow signature in its bytes")


def _unrecognised(why: str) -> UnsafeArtifact:
    return UnsafeArtifact(f"not a recognised model artifact: {why}")


def _is_pickle(head: bytes) -> bool:
    # Protocol 2+ streams open with PROTO; sklearn never writes 0 or 1.
    return len(head) >= 2 and head[0] == 0x80 and 2 <= head[1] <= 5


def _is_tar(block: bytes) -> bool:
    return block[_TAR_MAGIC_OFFSET : _TAR_MAGIC_OFFSET + 5] == b"ustar"


def _is_gzipped_tar(path: str, head: bytes) -> bool:
    if not head.startswith(b"\x1f\x8b"):
        return False
    try:
        with gzip.open(path, "rb") as stream:
            return _is_tar(stream.read(512))
    except (OSError, EOFError):
        return False


def _decompressed_head(path: str, compressor: str) -> bytes:
    try:
        with open(path, "rb") as raw, _COMPRESSORS[compressor].decompressor_file(raw) as stream:
            return stream.read(2)
    except Exception:  # corrupt stream or missing codec (lz4): not a joblib file
        return b""


def _detect_zip(path: str) -> Detected:
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise _unrecognised(f"the zip archive could not be read: {exc}") from exc
    if any(n in ("MLmodel", "./MLmodel") or _TOP_LEVEL_MLMODEL.match(n) for n in names):
        return Detected("mlflow", "zip")
    if "schema.json" in names:
        return Detected("skops", "zip")
    raise _unrecognised("a zip archive with neither an MLmodel nor a skops schema.json")
