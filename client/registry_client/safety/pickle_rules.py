"""Checks the restricted unpickler applies to what a pickle builds, beyond naming.

Each rule closes a way found to run code, read memory or crash a worker with only
allow-listed names (tests/registry/test_pickle_gadgets.py): arguments of the few
reconstructors that take types or buffers, the keys of an object's state, and the
layout of NumPy dtypes.
"""

from __future__ import annotations

import _compat_pickle
import inspect
import pickle
from collections.abc import Callable, Iterator
from functools import cache
from typing import Any

import numpy as np

from .errors import UnsafeArtifact
from .policy import allowed, allowed_objects

REFUSED_MARK = "_registry_refused"  # set on the inert stand-ins of refused names


def python3_name(protocol: int, module: str, name: str) -> tuple[str, str]:
    """Protocol < 3 pickles spell Python 2 names (`__builtin__.set`): map them as the
    standard unpickler does, before the allow-list is asked."""
    if protocol >= 3:
        return module, name
    if (module, name) in _compat_pickle.NAME_MAPPING:
        return _compat_pickle.NAME_MAPPING[(module, name)]
    return _compat_pickle.IMPORT_MAPPING.get(module, module), name


def is_stub(obj: Any) -> bool:
    """An inert stand-in for a refused name (scan mode only): safe to call and build."""
    return isinstance(obj, type) and bool(obj.__dict__.get(REFUSED_MARK))


def listed_object(obj: Any) -> bool:
    return any(id(obj) in allowed_objects(use) for use in ("call", "new", "data"))


def described(obj: Any) -> str:
    """A name for an object in a refusal, without calling anything the object defines."""
    kind = obj if isinstance(obj, type) else type(obj)
    name = f"{kind.__module__}.{kind.__qualname__}"
    if isinstance(obj, type):
        return name
    if inspect.isroutine(obj):
        return f"{getattr(obj, '__module__', '?')}.{getattr(obj, '__qualname__', '?')}"
    return f"an object of type {name}"


def state_keys(state: Any) -> Iterator[Any]:
    """The attribute names BUILD would set: a dict state, or (dict state, slot state)."""
    if isinstance(state, dict):
        yield from state
    elif isinstance(state, tuple) and len(state) == 2 and all(p is None or isinstance(p, dict) for p in state):
        for part in state:
            yield from part or ()


def check_state_key(inst: Any, key: Any) -> None:
    """Refuse state that sets an interpreter or NumPy hook, or replaces a method."""
    if not isinstance(key, str):
        return
    if key.startswith("__") and key.endswith("__"):
        raise UnsafeArtifact(f"the pickle sets {key!r} on {described(inst)}")
    found = inspect.getattr_static(type(inst), key, None)
    is_method = inspect.isroutine(found) or isinstance(found, (staticmethod, classmethod))
    if is_method or (hasattr(found, "__get__") and not hasattr(found, "__set__") and not isinstance(found, type)):
        raise UnsafeArtifact(f"the pickle replaces the method {key!r} of {described(inst)}")


def consistent_dtype(dtype: np.dtype) -> bool:
    """Whether NumPy would build this dtype from its own description: every field
    inside the item, and object flags that match the fields (a dtype whose state says
    "no objects" over an object field makes raw bytes into pointers)."""
    try:
        canonical = _rebuilt(dtype)
    except (TypeError, ValueError):
        return False
    return (
        canonical == dtype
        and canonical.itemsize == dtype.itemsize
        and canonical.alignment == dtype.alignment
        and canonical.flags == dtype.flags
        and canonical.hasobject == dtype.hasobject
    )


def _rebuilt(dtype: np.dtype) -> np.dtype:
    if dtype.fields is not None:
        names = list(dtype.names or ())
        fields = [dtype.fields[name] for name in names]
        spec: dict[str, Any] = {
            "names": names,
            "formats": [_rebuilt(field[0]) for field in fields],
            "offsets": [field[1] for field in fields],
            "itemsize": dtype.itemsize,
        }
        if any(len(field) > 2 for field in fields):
            spec["titles"] = [field[2] if len(field) > 2 else None for field in fields]
        return np.dtype(spec, align=dtype.isalignedstruct)
    if dtype.subdtype is not None:
        base, shape = dtype.subdtype
        return np.dtype((_rebuilt(base), shape))
    return np.dtype(dtype.str)


@cache
def argument_checks() -> dict[int, Callable[[tuple], None]]:
    """Checks of the arguments of callables that take types or buffers, by the id of
    the callable (so every spelling of a NumPy reconstructor gets the same check)."""
    import numpy.ma

    checks = {
        ("numpy", "dtype"): _dtype_arguments,
        ("numpy._core.multiarray", "_reconstruct"): _subtype_of(np.ndarray),
        ("numpy.ma.core", "_mareconstruct"): _subtype_of(numpy.ma.MaskedArray, np.ndarray),
        ("numpy._core.numeric", "_frombuffer"): _buffer_arguments,
        ("copyreg", "_reconstructor"): _reconstructor_arguments,
    }
    for module in ("sklearn.neighbors._kd_tree", "sklearn.neighbors._ball_tree", "sklearn.metrics._dist_metrics"):
        checks[(module, "newObj")] = _class_of_module(module)
    resolved = {}
    for (module, name), check in checks.items():
        found = allowed(module, name)
        if found is not None:
            resolved[id(found.obj)] = check
    return resolved


def _dtype_arguments(args: tuple) -> None:
    # copy=False hands back NumPy's shared dtype objects, which BUILD would then change.
    if len(args) != 3 or args[2] is not True:
        raise UnsafeArtifact("the pickle builds a NumPy dtype without copying it (numpy.dtype(..., copy=False))")


def _subtype_of(*bases: type) -> Callable[[tuple], None]:
    def check(args: tuple) -> None:
        for arg, base in zip(args, bases, strict=False):
            if not (isinstance(arg, type) and issubclass(arg, base) and listed_object(arg)):
                raise UnsafeArtifact(f"the pickle rebuilds an array as {described(arg)}, not a listed {base.__name__}")

    return check


def _buffer_arguments(args: tuple) -> None:
    if not args or not isinstance(args[0], (bytes, bytearray, pickle.PickleBuffer)):
        raise UnsafeArtifact("the pickle builds an array over something that is not a bytes buffer")


def _reconstructor_arguments(args: tuple) -> None:
    cls, base = (args + (None, None))[:2]
    if not (isinstance(cls, type) and id(cls) in allowed_objects("new")):
        raise UnsafeArtifact(f"the pickle reconstructs {described(cls)}, which the allow-list does not allow")
    if not (isinstance(base, type) and issubclass(cls, base)):
        raise UnsafeArtifact(f"the pickle reconstructs {described(cls)} from an unrelated base")


def _class_of_module(module: str) -> Callable[[tuple], None]:
    # sklearn's Cython `newObj(cls)` is `cls.__new__(cls)` for its own module's classes.
    def check(args: tuple) -> None:
        cls = args[0] if args else None
        if not (isinstance(cls, type) and cls.__module__ == module and listed_object(cls)):
            raise UnsafeArtifact(f"the pickle creates {described(cls)} through {module}.newObj")

    return check


# --- structures whose compiled code trusts their indices ------------------------------
# Cython and C++ loops in scikit-learn and SciPy read these arrays without bounds
# checks: a pickled tree node pointing past the end reads (and leaks) the heap.


def check_built(obj: Any) -> None:
    """Refuse an object, just given its state, whose indices point outside itself."""
    from scipy import sparse
    from sklearn.neighbors import _ball_tree, _kd_tree
    from sklearn.tree._tree import Tree

    neighbour_trees = (_kd_tree.BinaryTree32, _kd_tree.BinaryTree64, _ball_tree.BinaryTree32, _ball_tree.BinaryTree64)
    if isinstance(obj, Tree):
        _check_tree(obj)
    elif isinstance(obj, neighbour_trees):
        _check_binary_tree(obj)
    elif sparse.issparse(obj):
        _check_sparse(obj)


def check_loaded(objects: Any) -> None:
    """Checks across objects, once the whole pickle is loaded: a fitted tree estimator
    checks its input width against `n_features_in_`, its tree reads `tree_.n_features`."""
    from sklearn.tree._tree import Tree

    for obj in objects:
        try:
            attributes = object.__getattribute__(obj, "__dict__")
        except AttributeError:
            continue
        tree, width = attributes.get("tree_"), attributes.get("n_features_in_")
        if isinstance(tree, Tree) and width is not None and width != tree.n_features:
            raise UnsafeArtifact(f"the pickle holds {described(obj)} whose tree reads another number of features")


def _refuse_structure(what: str) -> UnsafeArtifact:
    return UnsafeArtifact(f"the pickle holds {what} whose indices point outside it")


def _check_tree(tree: Any) -> None:
    count = tree.node_count
    left, right, feature = tree.children_left, tree.children_right, tree.feature
    internal = left != -1
    nodes = np.arange(count)
    children_ok = (
        np.array_equal(internal, right != -1)
        and bool(np.all((left[internal] > nodes[internal]) & (left[internal] < count)))
        and bool(np.all((right[internal] > nodes[internal]) & (right[internal] < count)))
    )
    features_ok = bool(np.all((feature[internal] >= 0) & (feature[internal] < tree.n_features)))
    value_ok = tree.value.shape[:2] == (count, tree.n_outputs) and tree.value.shape[2] == max(tree.n_classes)
    if not (children_ok and features_ok and value_ok):
        raise _refuse_structure("a decision tree")


def _check_binary_tree(tree: Any) -> None:
    data, index, nodes, bounds = tree.get_arrays()
    count = len(nodes)
    inner = np.flatnonzero(nodes["is_leaf"] == 0)
    ok = (
        bool(np.all((index >= 0) & (index < len(data))))
        and bool(np.all((nodes["idx_start"] >= 0) & (nodes["idx_start"] <= nodes["idx_end"])))
        and bool(np.all(nodes["idx_end"] <= len(index)))
        and bool(np.all(2 * inner + 2 < count))
        and bounds.shape[1:] == (count, data.shape[1])
    )
    if not ok:
        raise _refuse_structure("a neighbours tree")


def _check_sparse(matrix: Any) -> None:
    try:
        if hasattr(matrix, "check_format"):
            matrix.check_format(full_check=True)
        elif matrix.format == "coo":
            rows, cols = matrix.coords
            if len(rows) and (
                rows.min() < 0 or cols.min() < 0 or rows.max() >= matrix.shape[0] or cols.max() >= matrix.shape[1]
            ):
                raise ValueError("coordinates outside the shape")
    except (ValueError, TypeError, AttributeError) as exc:
        raise _refuse_structure(f"a sparse matrix ({exc})") from None
