"""Scan and load pickle and joblib files with a restricted unpickler.

Why not a static `pickletools.genops` scan: joblib files are not pure pickle
streams. After the BUILD of each `NumpyArrayWrapper`, joblib writes the raw
array bytes inline, which a static opcode walk reads as garbage opcodes; and
object-dtype arrays hide a second pickle inside those bytes. Only joblib's own
`NumpyUnpickler` knows where the arrays end, so we subclass it and override
`find_class`, the single point through which a pickle can reach any global
(GLOBAL, STACK_GLOBAL and the copyreg EXT opcodes all go through it; joblib
1.6 routes nested object-array pickles through the outer `find_class` too).

Two modes share the policy in `policy.py`:

* scan: every off-list global is recorded and replaced by an inert stub, so the
  unpickling continues and the refusal names *all* offending imports, while
  nothing off-list ever runs;
* load: the first off-list global raises.

Scanning also bounds the bytes read (decompressed, for compressed joblib
files), so a small upload cannot expand into an unbounded allocation; and it
skips large numeric arrays on disk, standing in zero-memory placeholders of the
right shape and dtype, so that scanning a 1 GiB model does not cost 1 GiB of
memory. The scanned object is complete but for those coefficients: enough to
describe the estimator (class, feature names, signature), not to predict.
"""

from __future__ import annotations

import contextlib
import io
import math
import pickle
import struct
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, BinaryIO

import numpy as np
import sklearn
from joblib.numpy_pickle import NumpyArrayWrapper, NumpyUnpickler
from joblib.numpy_pickle_utils import _validate_fileobject_and_memmap

from .archives import compression_bomb, size_of, unpack_allowance
from .errors import UnsafeArtifact
from .pickle_rules import (
    REFUSED_MARK,
    argument_checks,
    check_built,
    check_loaded,
    check_state_key,
    consistent_dtype,
    described,
    is_stub,
    listed_object,
    python3_name,
    state_keys,
)
from .policy import allowed, allowed_objects

Source = str | bytes  # a file path, or the bytes of an archive member
# Numeric arrays at least this large are skipped, not read, while scanning.
PLACEHOLDER_MIN_BYTES = 4 * 1024 * 1024
_DISCARD_CHUNK = 1024 * 1024
_UNLIMITED = 2**62


@dataclass(frozen=True)
class LoadedPickle:
    obj: Any
    sklearn_version: str  # the version the pickle was made with, when sklearn says
    has_joblib_arrays: bool  # joblib's inline array format was used


class _BoundedReader:
    """File wrapper refusing to read more than `limit` bytes in total (None: no limit)
    and, over a joblib-compressed stream, more than the compression ratio bound allows
    for the compressed bytes read so far from `compressed`, the file it decompresses.

    Checks before reading, so a forged length (a frame, BINBYTES8, an array
    shape) is refused before anything is allocated for it: beyond `limit`, or beyond
    what the whole compressed file may unpack to. A decompressing stream is read in
    chunks, each checked, so highly compressed bytes (a bomb) are refused within the
    ratio bound instead of being allocated whole.
    """

    def __init__(self, raw: BinaryIO, limit: int | None, compressed: BinaryIO | None = None):
        self._raw = raw
        self._left = _UNLIMITED if limit is None else limit
        self._limit = limit
        self._compressed = compressed
        self._most = _UNLIMITED if compressed is None else unpack_allowance(size_of(compressed))
        self._produced = 0

    def read(self, size: int | None = -1) -> bytes:
        if size is None or size < 0:
            size = self._left + 1
        else:
            self._reserve(size)
        if self._compressed is None:
            return self._take(self._raw.read(size))
        chunks = []
        while size > 0 and (chunk := self._raw.read(min(size, _DISCARD_CHUNK))):
            chunks.append(self._take(chunk))
            size -= len(chunk)
        return b"".join(chunks)

    def readline(self, size: int | None = -1) -> bytes:
        most = self._left
        if self._compressed is not None:
            most = min(most, unpack_allowance(self._compressed.tell()) - self._produced)
        return self._take(self._raw.readline(max(most, 0) + 1))

    def _reserve(self, size: int) -> None:
        if size > self._left:
            raise UnsafeArtifact(f"the pickle unpacks to more than {self._limit} bytes (the max_unpacked_bytes limit)")
        if self._produced + size > self._most:
            raise compression_bomb("the compressed joblib file")

    def _take(self, data: bytes) -> bytes:
        self._reserve(len(data))
        self._left -= len(data)
        self._produced += len(data)
        if self._compressed is not None and self._produced > unpack_allowance(self._compressed.tell()):
            raise compression_bomb("the compressed joblib file")
        return data


class _CheckedArrayWrapper(NumpyArrayWrapper):
    """joblib's inline array, read only after its header passed the same checks as any
    array: a listed ndarray subclass, a consistent dtype, a plain shape. Object arrays
    are read by a nested restricted unpickler, never by joblib's plain one. When the
    unpickler asks for placeholders, large numeric arrays are skipped on disk and stood
    in for by a read-only zero-stride view of the right shape and dtype."""

    def read_array(self, unpickler: Any, ensure_native_byte_order: bool) -> Any:
        self._check_header(unpickler)
        if self.dtype.hasobject:
            return unpickler.nested().load()
        nbytes = math.prod(self.shape) * self.dtype.itemsize
        if not unpickler.placeholders or nbytes < PLACEHOLDER_MIN_BYTES:
            _check_room(unpickler.file_handle, nbytes)  # joblib allocates the whole array first
            return super().read_array(unpickler, ensure_native_byte_order)
        handle = unpickler.file_handle
        if self.safe_get_numpy_array_alignment_bytes() is not None:
            # joblib >= 1.2 pads before the data: one length byte, then the padding.
            _discard(handle, int.from_bytes(handle.read(1), "little"))
        _discard(handle, nbytes)
        unpickler.used_placeholders = True
        return np.broadcast_to(np.zeros((), dtype=self.dtype), self.shape)

    def _check_header(self, unpickler: Any) -> None:
        subclass, dtype, shape = (
            getattr(self, "subclass", None),
            getattr(self, "dtype", None),
            getattr(self, "shape", None),
        )
        if not (isinstance(subclass, type) and issubclass(subclass, np.ndarray) and listed_object(subclass)):
            raise UnsafeArtifact("the pickle holds a joblib array of a type that is not an allowed ndarray subclass")
        if not isinstance(dtype, np.dtype) or not consistent_dtype(dtype):
            raise UnsafeArtifact("the pickle holds a joblib array whose dtype is not a consistent NumPy dtype")
        if not (isinstance(shape, tuple) and all(isinstance(n, int) and n >= 0 for n in shape)):
            raise UnsafeArtifact("the pickle holds a joblib array whose shape is not a tuple of sizes")
        if getattr(self, "order", "C") not in ("C", "F"):
            raise UnsafeArtifact("the pickle holds a joblib array whose order is neither C nor F")


def _check_room(handle: Any, nbytes: int) -> None:
    """Refuse an array larger than what is left to read, before it is allocated."""
    if isinstance(handle, _BoundedReader):
        handle._reserve(nbytes)
    elif nbytes > size_of(handle) - handle.tell():
        raise UnsafeArtifact("the pickle declares an array larger than the rest of the file")


def _listed_as(obj: Any) -> Any:
    # find_class hands out the checked wrapper in place of joblib's own.
    return NumpyArrayWrapper if obj is _CheckedArrayWrapper else obj


def _unlisted_callable(obj: Any) -> bool:
    return callable(obj) and not isinstance(obj, type) and not listed_object(obj) and not is_stub(type(obj))


def _discard(handle: Any, size: int) -> None:
    while size > 0:
        chunk = handle.read(min(size, _DISCARD_CHUNK))
        if not chunk:
            raise UnsafeArtifact("the pickle ends inside an array")
        size -= len(chunk)


class RestrictedUnpickler(NumpyUnpickler):
    """joblib's unpickler that can only name listed globals, call listed constructors
    and reconstructors, and give state to objects it created itself.

    What each rule stops (tests/registry/test_pickle_gadgets.py holds the attacks):
    * globals by exact name (`policy.allowed`): no module is imported because a pickle
      names it, so a file written into a package folder is never imported;
    * REDUCE and NEWOBJ only on listed callables, never on an object the pickle built
      (a scorer called with a method name of the pickle's choosing);
    * BUILD only once, only on an instance this pickle created, and never with a
      `__dunder__` key or a key that would replace a method (`__array_interface__`
      pointing at any address, `__sklearn_tags__`, a class's attributes);
    * NumPy dtypes given state only before anything used them, and only a layout NumPy
      itself would build (field offsets inside the item, object flags that match).
    """

    dispatch = NumpyUnpickler.dispatch.copy()

    def __init__(self, file_handle: Any, *, scan: bool, placeholders: bool = False):
        super().__init__("", file_handle, ensure_native_byte_order=True)
        self.scan = scan
        self.placeholders = placeholders
        self.used_placeholders = False
        self.offending: set[str] = set()
        self.saw_array_wrapper = False
        self.sklearn_version: str | None = None
        self._made: dict[int, Any] = {}  # what this pickle created: may be given state once
        self._built: set[int] = set()
        self._unbuilt_dtypes: set[int] = set()  # made, not yet given their state
        self._used: set[int] = set()  # ids of those some value already depends on

    def nested(self) -> RestrictedUnpickler:
        """An unpickler for the pickle joblib nests in an object array: same rules,
        same record of refusals."""
        inner = RestrictedUnpickler(self.file_handle, scan=self.scan, placeholders=self.placeholders)
        inner.offending = self.offending
        return inner

    def load(self) -> Any:
        obj = super().load()
        check_loaded(list(self._made.values()))
        return obj

    def find_class(self, module: str, name: str) -> Any:
        module, name = python3_name(self.proto, module, name)
        found = allowed(module, name)
        if found is None:
            return self._refuse(f"{module}.{name}")
        if found.obj is NumpyArrayWrapper:
            self.saw_array_wrapper = True
            return _CheckedArrayWrapper
        return found.obj

    def load_reduce(self) -> None:
        func, args = self.stack[-2], self.stack[-1]
        self._check_callable(func, "call", args)
        super().load_reduce()
        self._made_here(self.stack[-1])

    def load_newobj(self) -> None:
        cls, args = self.stack[-2], self.stack[-1]
        self._check_callable(cls, "new", args)
        super().load_newobj()
        self._made_here(self.stack[-1])

    def load_newobj_ex(self) -> None:
        cls, args, kwargs = self.stack[-3], self.stack[-2], self.stack[-1]
        self._check_callable(cls, "new", (*args, *kwargs.values()))
        super().load_newobj_ex()
        self._made_here(self.stack[-1])

    def _instantiate(self, klass: Any, args: list) -> None:
        # INST and OBJ (protocols 0 and 1) call or create `klass` with `args`.
        self._check_callable(klass, "call" if args else "new", tuple(args))
        super()._instantiate(klass, args)
        self._made_here(self.stack[-1])

    def load_build(self) -> None:
        inst, state = self.stack[-2], self.stack[-1]
        self._check_build(inst, state)
        # sklearn's BaseEstimator state carries the version it was pickled with;
        # reading it here is exact and thread-safe (warnings filters are neither).
        if isinstance(state, dict) and isinstance(state.get("_sklearn_version"), str):
            self.sklearn_version = state["_sklearn_version"]
        super().load_build()
        check_built(inst)

    dispatch[pickle.REDUCE[0]] = load_reduce
    dispatch[pickle.NEWOBJ[0]] = load_newobj
    dispatch[pickle.NEWOBJ_EX[0]] = load_newobj_ex
    dispatch[pickle.BUILD[0]] = load_build

    def _check_callable(self, func: Any, use: str, args: Any) -> None:
        if not is_stub(func) and id(_listed_as(func)) not in allowed_objects(use):
            verb = "calls" if use == "call" else "creates an instance of"
            raise UnsafeArtifact(f"the pickle {verb} {described(func)}, which the allow-list does not allow")
        arguments = args if isinstance(args, tuple) else (args,)
        for argument in arguments:
            if _unlisted_callable(argument):
                raise UnsafeArtifact(
                    f"the pickle passes {described(argument)}, a callable object, to {described(func)}"
                )
        check = argument_checks().get(id(func))
        if check is not None:
            check(arguments)
        self._note_used(arguments)

    def _made_here(self, obj: Any) -> None:
        self._made[id(obj)] = obj
        if isinstance(obj, np.dtype):
            self._unbuilt_dtypes.add(id(obj))

    def _check_build(self, inst: Any, state: Any) -> None:
        if is_stub(type(inst)):
            return
        if isinstance(inst, type):
            raise UnsafeArtifact(f"the pickle sets attributes of the class {described(inst)}")
        if self._made.get(id(inst)) is not inst:
            raise UnsafeArtifact(f"the pickle gives state to {described(inst)}, which it did not create")
        if id(inst) in self._built:
            raise UnsafeArtifact(f"the pickle gives state twice to {described(inst)}")
        self._built.add(id(inst))
        for key in state_keys(state):
            check_state_key(inst, key)
        if isinstance(inst, np.dtype):
            self._check_dtype_state(inst, state)
            self._unbuilt_dtypes.discard(id(inst))
        self._note_used(state)

    def _check_dtype_state(self, dtype: np.dtype, state: Any) -> None:
        if id(dtype) in self._used:
            raise UnsafeArtifact("the pickle changes a NumPy dtype after a value was made with it")
        probe = np.dtype(dtype, False, True)  # a private copy: no array depends on it
        probe.__setstate__(state)
        if not consistent_dtype(probe):
            raise UnsafeArtifact("the pickle builds a NumPy dtype whose layout NumPy would not build")

    def _note_used(self, value: Any) -> None:
        # Only a dtype still waiting for its state can be changed under a value that uses
        # it: with none waiting (nearly always), large states are not walked at all.
        if not self._unbuilt_dtypes:
            return
        pending = [value]
        seen: set[int] = set()
        while pending:
            item = pending.pop()
            if id(item) in seen:
                continue
            seen.add(id(item))
            if isinstance(item, np.dtype) and id(item) in self._unbuilt_dtypes:
                self._used.add(id(item))
            elif isinstance(item, (tuple, list)):
                pending.extend(item)
            elif isinstance(item, dict):
                pending.extend(item.values())

    def _refuse(self, dotted: str) -> type:
        if not self.scan:
            raise offending_imports_error([dotted])
        self.offending.add(dotted)
        return _inert_stub(dotted)

    def load_bytearray8(self) -> None:
        # The stdlib allocates `bytearray(size)` before reading; check the
        # size against the read budget first (scan mode only has a budget).
        (size,) = struct.unpack("<Q", self.read(8))
        if isinstance(self.file_handle, _BoundedReader):
            self.file_handle._reserve(size)
        buffer = bytearray(size)
        self.readinto(buffer)
        self.append(buffer)

    dispatch[pickle.BYTEARRAY8[0]] = load_bytearray8


def _inert_stub(dotted: str) -> type:
    """A class that accepts any construction, call or state and does nothing."""

    def _new(cls: type, *args: Any, **kwargs: Any) -> Any:
        return object.__new__(cls)

    def _ignore(self: Any, *args: Any, **kwargs: Any) -> None:
        return None

    namespace = {
        "__new__": _new,
        "__init__": _ignore,
        "__call__": _ignore,
        "__setstate__": _ignore,
        "__qualname__": f"Refused[{dotted}]",
        REFUSED_MARK: True,
    }
    return type("Refused", (), namespace)


def scan_pickle(source: Source, *, max_unpacked_bytes: int) -> LoadedPickle:
    """Refuse (UnsafeArtifact) a pickle/joblib stream naming any off-list global;
    otherwise return the scanned object, large arrays as placeholders.

    Collects every offending name before refusing; nothing off-list executes.
    """
    try:
        return _scan(source, max_unpacked_bytes, placeholders=True)
    except _PlaceholderRejected:
        # Some compiled class wanted real memory in its __setstate__: read it all.
        return _scan(source, max_unpacked_bytes, placeholders=False)


class _PlaceholderRejected(Exception):
    pass


def _scan(source: Source, max_unpacked_bytes: int, *, placeholders: bool) -> LoadedPickle:
    unpickler: RestrictedUnpickler | None = None
    try:
        with _opened(source, max_unpacked_bytes) as stream:
            unpickler = RestrictedUnpickler(stream, scan=True, placeholders=placeholders)
            obj = unpickler.load()
    except Exception as exc:
        _raise_offending(unpickler)
        if isinstance(exc, UnsafeArtifact):
            raise
        if unpickler is not None and unpickler.used_placeholders:
            raise _PlaceholderRejected from exc
        raise UnsafeArtifact(f"the pickle could not be read: {exc}") from exc
    _raise_offending(unpickler)
    return _loaded(obj, unpickler)


def load_pickle(source: Source) -> LoadedPickle:
    """Load a pickle/joblib stream, raising UnsafeArtifact at the first off-list global.

    Never falls back to `pickle.load` or `joblib.load`.
    """
    try:
        with _opened(source, None) as stream:
            unpickler = RestrictedUnpickler(stream, scan=False)
            obj = unpickler.load()
    except UnsafeArtifact:
        raise
    except Exception as exc:
        raise UnsafeArtifact(f"the pickle could not be read: {exc}") from exc
    return _loaded(obj, unpickler)


def _loaded(obj: Any, unpickler: RestrictedUnpickler) -> LoadedPickle:
    version = unpickler.sklearn_version or sklearn.__version__
    return LoadedPickle(obj, version, unpickler.saw_array_wrapper)


def pickled_sklearn_version(caught: list[warnings.WarningMessage]) -> str:
    """The scikit-learn version an object was saved with, as sklearn reports it.

    `BaseEstimator.__setstate__` warns with `InconsistentVersionWarning` only
    when the versions differ; no warning means the installed one.
    """
    from sklearn.exceptions import InconsistentVersionWarning

    for record in caught:
        if isinstance(record.message, InconsistentVersionWarning):
            return str(record.message.original_sklearn_version)
    return sklearn.__version__


def offending_imports_error(names: list[str]) -> UnsafeArtifact:
    """The 422 every format uses for names the policy refuses."""
    unique = sorted(set(names))
    return UnsafeArtifact(
        f"the pickle imports names that are not allowed: {', '.join(unique)}",
        details={"offending_imports": unique},
    )


def _raise_offending(unpickler: RestrictedUnpickler | None) -> None:
    if unpickler is not None and unpickler.offending:
        raise offending_imports_error(list(unpickler.offending))


@contextlib.contextmanager
def _opened(source: Source, limit: int | None) -> Iterator[Any]:
    """Open a (possibly joblib-compressed) stream as `joblib.load` does, reading at most
    `limit` bytes (None: any) and, when compressed, within the compression ratio bound,
    at load as at scan. (At load joblib reserves an array's declared shape before reading
    it; no more of it than the bound lets unpack is ever written.)"""
    with contextlib.ExitStack() as stack:
        raw = io.BytesIO(source) if isinstance(source, bytes) else stack.enter_context(open(source, "rb"))
        name = "" if isinstance(source, bytes) else source
        stream, _ = stack.enter_context(_validate_fileobject_and_memmap(raw, name))
        if isinstance(stream, str):
            # joblib < 0.10 format: its loader reads companion files; refuse.
            raise UnsafeArtifact("joblib files older than joblib 0.10 are not supported")
        compressed = None if stream is raw else raw
        if limit is None and compressed is None:
            yield stream  # a plain file: it cannot hold more than its own size
        else:
            yield _BoundedReader(stream, limit, compressed)
