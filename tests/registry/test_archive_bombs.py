"""Compression bombs (archives, skops and compressed joblib files) are refused with 422
without the worker ever holding what they unpack to, and leave no spool file behind.

The bombs are built in a moment and in little memory: a MiB of zeros deflated up to a full
flush is a self-contained run of deflate blocks, so a GiB of zeros is that run 1024 times
over, never compressed (nor held) as a GiB."""

from __future__ import annotations

import contextlib
import functools
import gc
import io
import os
import pickle
import re
import struct
import tarfile
import zipfile
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path

import joblib
import numpy as np
import pytest
import skops.io
import yaml
from sklearn.linear_model import LogisticRegression
from test_mlflow_archives import sklearn_mlmodel, small_model_pickle

from registry.formats import load_model
from registry.models import ModelVersion
from registry_client.safety.archives import MAX_RATIO
from registry_site.errors import RefusedContent

from kit import temporary_files, upload

MiB = 1024**2
ZEROS = bytes(MiB)
# How far a worker's resident memory may grow while refusing a bomb: the ratio bound lets
# 64 MiB unpack before it applies, and a GiB bomb read whole (as before) goes far past it.
PEAK_LIMIT = 100 * MiB
MLMODEL = yaml.safe_dump(sklearn_mlmodel()).encode()


# --- building bombs --------------------------------------------------------------------


@functools.cache
def deflated_mib() -> bytes:
    """A MiB of zeros as raw deflate blocks from a fresh start to a full flush."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    return compressor.compress(ZEROS) + compressor.flush(zlib.Z_FULL_FLUSH)


def deflated(prefix: bytes, zero_mib: int, suffix: bytes = b"") -> list[bytes]:
    """Raw deflate of prefix + `zero_mib` MiB of zeros + suffix."""
    head = zlib.compressobj(9, zlib.DEFLATED, -15)
    tail = zlib.compressobj(9, zlib.DEFLATED, -15)
    first = head.compress(prefix) + head.flush(zlib.Z_FULL_FLUSH)
    return [first, *[deflated_mib()] * zero_mib, tail.compress(suffix) + tail.flush()]


def checksum(function: Callable, prefix: bytes, zero_mib: int, suffix: bytes = b"") -> int:
    value = function(prefix)
    for _ in range(zero_mib):
        value = function(ZEROS, value)
    return function(suffix, value)


def bomb_zip(path, zero_mib: int, *, name="model.pkl", prefix=b"", declared_size=None, declared_compressed=None):
    """An MLflow zip whose `name` member is `prefix` and `zero_mib` MiB of zeros; its
    central directory may declare other sizes than the true ones (zipfile reads those)."""
    members = [("MLmodel", 0, zlib.crc32(MLMODEL), len(MLMODEL), [MLMODEL])]
    size = len(prefix) + zero_mib * MiB
    members.append((name, 8, checksum(zlib.crc32, prefix, zero_mib), size, deflated(prefix, zero_mib)))
    return write_zip(path, members, {name: (declared_size, declared_compressed)})


def write_zip(path, members: list, declared: dict) -> str:
    """members: (name, method, crc, size, chunks); declared: name -> (size, compressed) or None."""
    central = []
    with open(path, "wb") as out:
        for name, method, crc, size, chunks in members:
            offset, compressed, encoded = out.tell(), sum(map(len, chunks)), name.encode()
            out.write(
                struct.pack(
                    "<4s2B4HL2L2H", b"PK\x03\x04", 20, 0, 0, method, 0, 33, crc, compressed, size, len(encoded), 0
                )
            )
            out.write(encoded)
            out.writelines(chunks)
            size, compressed = (
                d if d is not None else t for d, t in zip(declared.get(name, (None, None)), (size, compressed))
            )
            central.append(
                struct.pack(
                    "<4s4B4HL2L5H2L",
                    b"PK\x01\x02",
                    20,
                    3,
                    20,
                    0,
                    0,
                    method,
                    0,
                    33,
                    crc,
                    compressed,
                    size,
                    len(encoded),
                    0,
                    0,
                    0,
                    0,
                    0o100644 << 16,
                    offset,
                )
                + encoded
            )
        start = out.tell()
        out.writelines(central)
        end = out.tell()
        out.write(struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, len(central), len(central), end - start, start, 0))
    return str(path)


def tar_header(name: str, size: int) -> bytes:
    info = tarfile.TarInfo(name)
    info.size, info.mode = size, 0o644
    return info.tobuf(format=tarfile.GNU_FORMAT)


def tar_file(name: str, data: bytes) -> bytes:
    return tar_header(name, len(data)) + data + bytes(-len(data) % 512)


def bomb_tar_gz(path, zero_mib: int, *, after: bytes = b"") -> str:
    """An MLflow tar.gz: MLmodel, then model.pkl of `zero_mib` MiB of zeros, then `after`
    (more tar members); gzip compresses the whole tar as one stream."""
    prefix = tar_file("MLmodel", MLMODEL) + tar_header("model.pkl", zero_mib * MiB)
    suffix = after + bytes(1024)  # the two zero blocks that end a tar
    total = len(prefix) + zero_mib * MiB + len(suffix)
    with open(path, "wb") as out:
        out.write(b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff")
        out.writelines(deflated(prefix, zero_mib, suffix))
        out.write(struct.pack("<2L", checksum(zlib.crc32, prefix, zero_mib, suffix), total & 0xFFFFFFFF))
    return str(path)


def zlib_joblib_bomb(path, zero_mib: int) -> str:
    """A zlib-compressed joblib file (joblib tells it by the zlib header) holding one
    pickled bytes object of `zero_mib` MiB of zeros."""
    prefix = b"\x80\x05\x8e" + struct.pack("<Q", zero_mib * MiB)  # PROTO 5, BINBYTES8 <size>
    with open(path, "wb") as out:
        out.write(b"\x78\xda")
        out.writelines(deflated(prefix, zero_mib, b"."))
        out.write(struct.pack(">L", checksum(zlib.adler32, prefix, zero_mib, b".")))
    return str(path)


def zero_coefficients_model(features: int) -> LogisticRegression:
    model = LogisticRegression().fit(np.eye(2), [0, 1])
    model.coef_ = np.zeros((1, features))  # calloc'd: untouched pages cost no memory
    model.n_features_in_ = features
    return model


# --- measuring -------------------------------------------------------------------------


@contextlib.contextmanager
def peak_memory() -> Iterator[dict]:
    """How much this process's peak resident memory grew inside the block (Linux: writing
    5 to /proc/self/clear_refs resets the peak, VmHWM, to the current size, VmRSS)."""
    gc.collect()
    with open("/proc/self/clear_refs", "w") as fh:
        fh.write("5")
    found: dict = {}
    start = _status()["VmRSS"]
    try:
        yield found
    finally:
        found["peak"] = _status()["VmHWM"] - start


def _status() -> dict[str, int]:
    with open("/proc/self/status") as fh:
        return {key: int(kib) * 1024 for key, kib in re.findall(r"(VmHWM|VmRSS):\s+(\d+) kB", fh.read())}


def upload_file(client, path: str, filename: str, **fields):
    with open(path, "rb") as fh:
        return upload(client, "bomb", fh.read(), filename=filename, **fields)


def assert_refused_as_bomb(response, member: str | None = "model.pkl") -> None:
    assert response.status_code == 422, response.content[:500]
    body = response.json()
    assert body["error_code"] == "REFUSED_CONTENT"
    assert f"more than {MAX_RATIO} times its compressed size" in body["message"]
    if member is not None:
        assert repr(member) in body["message"]
    assert not ModelVersion.objects.exists()


# --- archives --------------------------------------------------------------------------


def test_an_mlflow_zip_holding_a_gib_of_zeros_is_refused_in_little_memory(as_alice, tmp_path, settings):
    path = bomb_zip(tmp_path / "bomb.zip", 1024)
    assert os.path.getsize(path) < 2 * MiB

    with peak_memory() as memory:
        response = upload_file(as_alice, path, "model.zip", format="mlflow")

    assert_refused_as_bomb(response)
    assert memory["peak"] < PEAK_LIMIT
    assert temporary_files() == []


def test_a_zip_header_overstating_the_compressed_size_cannot_hide_the_ratio(as_alice, tmp_path):
    # The central directory claims a GiB compressed to a GiB: no member holds more than the file.
    path = bomb_zip(tmp_path / "bomb.zip", 1024, declared_compressed=1024 * MiB)

    with peak_memory() as memory:
        response = upload_file(as_alice, path, "model.zip")

    assert_refused_as_bomb(response)
    assert memory["peak"] < PEAK_LIMIT


def test_a_zip_header_understating_the_member_size_is_refused_without_reading_it_whole(as_alice, tmp_path, settings):
    # 60 MiB declared (under the ratio bound's free allowance) over a GiB of zeros: the
    # member is copied to a spool file in chunks, never held, and stops at what it declared.
    path = bomb_zip(tmp_path / "bomb.zip", 1024, declared_size=60 * MiB)

    with peak_memory() as memory:
        response = upload_file(as_alice, path, "model.zip")

    assert response.status_code == 422
    assert "'model.pkl' could not be read" in response.json()["message"]  # its CRC does not match
    assert memory["peak"] < 32 * MiB
    assert temporary_files() == []


def test_an_mlflow_tar_gz_holding_a_gib_of_zeros_is_refused_in_little_memory(as_alice, tmp_path, settings):
    path = bomb_tar_gz(tmp_path / "bomb.tar.gz", 1024)
    assert os.path.getsize(path) < 2 * MiB

    with peak_memory() as memory:
        response = upload_file(as_alice, path, "model.tar.gz")

    assert_refused_as_bomb(response)
    assert memory["peak"] < PEAK_LIMIT
    assert temporary_files() == []


def test_a_tar_gz_bomb_padded_to_a_low_overall_ratio_is_refused_while_unpacking(as_alice, tmp_path):
    # 200 MiB of zeros, then 3 MiB that do not compress: the file as a whole unpacks only
    # ~65-fold, but the zeros unpack beyond the bound from the compressed bytes read so far.
    padding = tar_file("padding.bin", np.random.default_rng(0).bytes(3 * MiB))
    path = bomb_tar_gz(tmp_path / "bomb.tar.gz", 200, after=padding)
    assert 200 * MiB < os.path.getsize(path) * MAX_RATIO

    with peak_memory() as memory:
        response = upload_file(as_alice, path, "model.tar.gz")

    assert_refused_as_bomb(response)
    assert memory["peak"] < PEAK_LIMIT


def test_a_skops_file_with_a_bomb_array_is_refused_in_little_memory(as_alice, tmp_path):
    # A real skops file whose coefficient array becomes 256 MiB of zeros.
    original = zipfile.ZipFile(io.BytesIO(skops.io.dumps(LogisticRegression().fit(np.eye(2), [0, 1]))))
    members, header = [], io.BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": "<f8", "fortran_order": False, "shape": (1, 32 * MiB)})
    for info in original.infolist():
        data = original.read(info)
        if data.startswith(b"\x93NUMPY") and b"(1, 2)" in data[:128]:  # coef_
            prefix = header.getvalue()
            members.append(
                (info.filename, 8, checksum(zlib.crc32, prefix, 256), len(prefix) + 256 * MiB, deflated(prefix, 256))
            )
        else:
            members.append((info.filename, 0, zlib.crc32(data), len(data), [data]))
    path = write_zip(tmp_path / "model.skops", members, {})

    with peak_memory() as memory:
        response = upload_file(as_alice, path, "model.skops")

    assert_refused_as_bomb(response, member=None)
    assert memory["peak"] < PEAK_LIMIT


# --- compressed joblib files -------------------------------------------------------------


def test_a_compressed_joblib_model_unpacking_beyond_the_ratio_bound_is_refused(as_alice, tmp_path):
    path = tmp_path / "zeros.joblib"
    joblib.dump(zero_coefficients_model(32 * MiB), path, compress=("zlib", 3))  # 256 MiB of zeros

    response = upload_file(as_alice, str(path), "zeros.joblib")

    assert_refused_as_bomb(response, member=None)
    assert "the compressed joblib file" in response.json()["message"]


def test_a_compressed_joblib_bomb_is_refused_at_upload_in_little_memory(as_alice, tmp_path):
    path = zlib_joblib_bomb(tmp_path / "bomb.joblib", 1024)

    with peak_memory() as memory:
        response = upload_file(as_alice, path, "bomb.joblib")

    assert_refused_as_bomb(response, member=None)
    assert memory["peak"] < PEAK_LIMIT


def test_loading_a_compressed_joblib_bomb_is_refused_in_little_memory(tmp_path):
    # Loading reads the bytes the upload scanned; should they still differ, the bound holds.
    path = zlib_joblib_bomb(tmp_path / "bomb.joblib", 1024)

    with peak_memory() as memory, pytest.raises(RefusedContent) as caught:
        load_model(path, format="joblib")

    assert f"more than {MAX_RATIO} times its compressed size" in caught.value.message
    assert memory["peak"] < PEAK_LIMIT


def test_loading_a_compressed_joblib_model_beyond_the_ratio_bound_is_refused(tmp_path):
    path = tmp_path / "zeros.joblib"
    joblib.dump(zero_coefficients_model(32 * MiB), path, compress=("zlib", 3))  # 256 MiB of zeros

    with pytest.raises(RefusedContent) as caught:
        load_model(str(path), format="joblib")

    assert "the compressed joblib file unpacks to more than" in caught.value.message


def test_an_mlflow_model_through_the_mlflow_create_path_is_bounded_too(as_alice, tmp_path):
    # The client puts each file to the artifact proxy; model.pkl here is a zlib joblib bomb.
    bomb = zlib_joblib_bomb(tmp_path / "model.pkl", 1024)
    proxy = "/api/2.0/mlflow-artifacts/artifacts/1/run/artifacts/model"
    for name, content in (("MLmodel", MLMODEL), ("model.pkl", Path(bomb).read_bytes())):
        put = as_alice.generic("PUT", f"{proxy}/{name}", content, content_type="application/octet-stream")
        assert put.status_code == 200, put.content
    as_alice.post("/api/2.0/mlflow/registered-models/create", {"name": "bomb"}, format="json")

    with peak_memory() as memory:
        response = as_alice.post(
            "/api/2.0/mlflow/model-versions/create",
            {"name": "bomb", "source": "mlflow-artifacts:/1/run/artifacts/model"},
            format="json",
        )

    assert response.status_code == 400, response.content
    assert f"more than {MAX_RATIO} times its compressed size" in response.json()["message"]
    assert memory["peak"] < PEAK_LIMIT
    assert not ModelVersion.objects.exists()


# --- what must still pass ----------------------------------------------------------------


def test_a_small_highly_compressible_member_is_accepted(as_alice, tmp_path):
    # 8 MiB of zeros after a real pickle: ~1000-fold, but under the bound's free allowance.
    path = bomb_zip(tmp_path / "model.zip", 8, prefix=small_model_pickle())

    response = upload_file(as_alice, path, "model.zip")

    assert response.status_code == 201, response.content


def test_a_large_model_that_compresses_like_real_models_is_accepted(as_alice, tmp_path):
    # 80 MiB of coefficients that deflate ~4-fold, as the accepted estimators do.
    model = zero_coefficients_model(10 * MiB)
    model.coef_ = np.round(np.random.default_rng(0).normal(size=(1, 10 * MiB)), 2)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        archive.writestr("MLmodel", MLMODEL)
        archive.writestr("model.pkl", pickle.dumps(model, protocol=5))

    response = upload(as_alice, "large", buffer.getvalue(), filename="model.zip")

    assert response.status_code == 201, response.content
