"""The allow-list: which globals an uploaded model may reference.

One predicate serves pickles (through the restricted unpickler's `find_class`)
and skops files (the types skops itself does not trust). A name is allowed when

* it is one of a few exact, harmless stdlib names (`EXACT_NAMES`), or
* its module is under a trusted prefix (`TRUSTED_ROOTS`), the module is not a
  denied one, the resolved object's own `__module__` is trusted too (so that a
  trusted module re-exporting e.g. `joblib.Parallel` does not launder it), and
  the object is a class or one of the known reconstructor functions.

Functions in general are refused: a pickle can call anything it can name, and
"any function in numpy" includes file readers and importers. Classes are what
estimators are made of; constructing one with attacker-chosen arguments is the
residual risk we accept, minus the classes in `DENIED_*` that touch files or
import code.
"""

from __future__ import annotations

import importlib
import types
from collections.abc import Iterator
from typing import Any

# Module roots whose classes make up scikit-learn models.
TRUSTED_ROOTS = ("sklearn", "numpy", "scipy.sparse")

# Not everything under a trusted root is harmless: these modules read or write
# files, import arbitrary code, run test runners or build tools.
DENIED_MODULES = (
    "numpy.testing",
    "numpy.f2py",
    "numpy.distutils",
    "numpy.ctypeslib",
    "numpy.lib._datasource",
    "numpy._pytesttester",  # PytestTester instances run pytest when called
    "sklearn.utils._testing",
    "sklearn.utils._mocking",
    "sklearn.utils.parallel",  # joblib Parallel: spawns workers, writes temp files
    "sklearn.datasets",  # downloads and reads files
    "sklearn.externals",
    "sklearn._build_utils",
)

# Module path components that mark test suites and build helpers anywhere under
# a trusted root (importing them has side effects; they hold test gadgets).
DENIED_COMPONENTS = frozenset({"tests", "testing", "_testing", "conftest"})

# Names refused wherever they are found: memory maps and file readers, and
# numpy's old ufunc reconstructor, which imports any module and returns any
# attribute (`_ufunc_reconstruct("os", "system")`).
DENIED_NAMES = frozenset({"memmap", "DataSource", "Repository", "NpzFile", "_ufunc_reconstruct"})

# Exact (module, qualname) pairs outside the trusted roots that plain pickles
# of estimators need. Deliberately absent: builtins.getattr/eval/exec/open/
# __import__/compile, functools.partial, joblib's NDArrayWrapper (old format
# that reads companion files from disk).
_BUILTIN_TYPES = "slice set frozenset bytearray complex object dict list tuple int float str bytes bool range"
EXACT_NAMES = frozenset(
    {
        ("copyreg", "_reconstructor"),  # protocol 0/1 object reconstruction
        ("_codecs", "encode"),  # how protocol 2 pickles spell bytes
        ("collections", "OrderedDict"),
        ("collections", "defaultdict"),
        ("joblib.numpy_pickle", "NumpyArrayWrapper"),  # joblib's inline arrays
    }
    # Harmless builtin types; builtins functions (getattr, eval, open...) are not here.
    | {("builtins", name) for name in _BUILTIN_TYPES.split()}
)

# Functions (not classes) that real sklearn/numpy pickles call to rebuild
# objects, found by pickling estimators with numpy 2.x. Each only builds an
# array, scalar, random generator or Cython object from data and classes that
# must themselves pass this policy. Matched by identity, so the old
# `numpy.core.*` spellings of the numpy ones are accepted too. Cython's own
# `__pyx_unpickle_<Class>` helpers are allowed by rule: see `_is_cython_unpickler`.
RECONSTRUCTOR_NAMES = (
    ("numpy._core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "scalar"),
    ("numpy._core.numeric", "_frombuffer"),
    ("numpy.ma.core", "_mareconstruct"),
    ("numpy.random._pickle", "__randomstate_ctor"),
    ("numpy.random._pickle", "__bit_generator_ctor"),
    ("numpy.random._pickle", "__generator_ctor"),
    ("sklearn.neighbors._kd_tree", "newObj"),  # obj.__new__(obj) for KDTree
    ("sklearn.neighbors._ball_tree", "newObj"),
    ("sklearn.metrics._dist_metrics", "newObj"),
)

_CYTHON_UNPICKLE = "__pyx_unpickle_"
_reconstructors: list[Any] | None = None


def resolve_allowed(module: str, qualname: str) -> Any | None:
    """Return the object `module.qualname` names if the policy allows it, else None.

    Never imports a module outside the exact names and trusted roots, so
    asking about `os.system` has no side effect at all.
    """
    if _has_dunder(qualname):
        return None
    if (module, qualname) in EXACT_NAMES:
        return _resolve(module, qualname)
    if not _is_trusted_module(module):
        return None
    obj = _resolve(module, qualname)
    if obj is None or _is_denied_object(obj):
        return None
    if isinstance(obj, type):
        return obj if _is_trusted_module(str(getattr(obj, "__module__", None) or "")) else None
    if any(obj is known for known in _known_reconstructors()) or _is_cython_unpickler(module, qualname, obj):
        return obj
    return None


def is_allowed_type_name(dotted: str) -> bool:
    """Whether a dotted type name such as `sklearn.tree._tree.Tree` passes the policy.

    skops reports names without saying where the module ends, so every split
    point is tried, the longest module first.
    """
    return any(resolve_allowed(module, qualname) is not None for module, qualname in _split_points(dotted))


def _is_cython_unpickler(module: str, qualname: str, obj: Any) -> bool:
    """Cython's generated `__pyx_unpickle_<Class>` for an allowed `<Class>` of the same module.

    Cython writes one per auto-pickled extension type (e.g. sklearn's
    `CyHalfMultinomialLoss`, numpy's `SeedSequence`); it only calls
    `<Class>.__new__(given type)` (which must be a subtype) and restores the
    fields from the state, so it is as safe as the class itself.
    """
    class_name = qualname.removeprefix(_CYTHON_UNPICKLE)
    if class_name == qualname or "." in qualname or getattr(obj, "__module__", None) != module:
        return False
    return isinstance(resolve_allowed(module, class_name), type)


def _split_points(dotted: str) -> Iterator[tuple[str, str]]:
    parts = dotted.split(".")
    for cut in range(len(parts) - 1, 0, -1):
        yield ".".join(parts[:cut]), ".".join(parts[cut:])


def _has_dunder(qualname: str) -> bool:
    # `X.__class__`, `f.__globals__`, `C.__init__`: attribute walks out of a
    # trusted object into the interpreter's internals.
    return any(p.startswith("__") and p.endswith("__") for p in qualname.split("."))


def _is_trusted_module(module: str) -> bool:
    if not any(module == r or module.startswith(r + ".") for r in TRUSTED_ROOTS):
        return False
    if any(module == d or module.startswith(d + ".") for d in DENIED_MODULES):
        return False
    return not DENIED_COMPONENTS.intersection(module.split("."))


def _is_denied_object(obj: Any) -> bool:
    import numpy

    if getattr(obj, "__name__", None) in DENIED_NAMES:
        return True
    return isinstance(obj, type) and issubclass(obj, numpy.memmap)


def _resolve(module: str, qualname: str) -> Any | None:
    """Import `module` (already vetted) and walk the dotted qualname (protocol 4)."""
    if qualname.split(".")[-1] in DENIED_NAMES:
        return None
    try:
        obj: Any = importlib.import_module(module)
        for part in qualname.split("."):
            obj = getattr(obj, part)
            if isinstance(obj, types.ModuleType):
                return None  # qualnames name nested classes, never walk into other modules
    except Exception:  # missing module or attribute, or a failing import: not allowed
        return None
    return obj


def _known_reconstructors() -> list[Any]:
    global _reconstructors
    if _reconstructors is None:
        found = (_resolve(m, n) for m, n in RECONSTRUCTOR_NAMES)
        _reconstructors = [obj for obj in found if obj is not None]
    return _reconstructors
