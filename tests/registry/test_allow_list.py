"""The generated allow-list (client/registry_client/safety/allowed_globals.txt) as a reviewer reads it."""

from __future__ import annotations

import pytest

from registry_client.safety import policy

LISTED = policy._listed()


def test_every_listed_name_resolves_in_the_installed_packages():
    missing = [f"{m}.{q}" for (m, q) in LISTED if policy.allowed(m, q) is None]

    assert missing == []


def test_only_reviewed_reconstructors_and_cython_helpers_may_be_called_as_functions():
    called_functions = {
        (m, q) for (m, q), uses in LISTED.items() if "call" in uses and not isinstance(policy.allowed(m, q).obj, type)
    }
    unreviewed = {
        (m, q)
        for (m, q) in called_functions - policy.REVIEWED_RECONSTRUCTORS
        if not q.startswith(policy.CYTHON_UNPICKLE)
    }

    assert unreviewed == set()


def test_every_listed_module_belongs_to_scikit_learn_numpy_scipy_joblib_or_the_standard_library():
    roots = {"sklearn", "numpy", "scipy", "joblib", "builtins", "copyreg", "_codecs", "collections"}

    assert {m.split(".")[0] for (m, _) in LISTED} <= roots


@pytest.mark.parametrize(
    "name",
    [
        "numpy.memmap",
        "numpy.load",
        "numpy.fromfile",
        "numpy.lib._stride_tricks_impl.DummyArray",
        "numpy.lib._iotools.NameValidator",
        "numpy.ctypeslib.as_array",
        "builtins.getattr",
        "builtins.eval",
        "functools.partial",
        "sklearn.utils._testing.TempMemmap",
        "sklearn.frozen._frozen.FrozenEstimator",
        "joblib.parallel.Parallel",
    ],
)
def test_names_used_in_known_attacks_are_not_listed(name):
    assert not policy.is_allowed_type_name(name)
