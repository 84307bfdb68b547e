"""Who may import whom (DESIGN §1): lineage is a generic OpenLineage store that imports
neither registry nor serving, registry never imports serving, webhooks imports no other
app (the registry calls it), and no app imports mlflow_compat, which is built on the
registry. Read from the source with `ast`, so an import inside a function or a migration
counts as much as one at the top of a module."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def imports_of(app: str, other: str) -> list[str]:
    """Every import of `other` (or a module inside it) in `app`'s sources, as file:line."""
    found = []
    for path in sorted((ROOT / app).rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                modules = [node.module or ""]
            else:
                continue
            if any(module == other or module.startswith(f"{other}.") for module in modules):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    return found


def test_the_scan_finds_the_imports_that_are_allowed():
    """Serving uses registry: the scan sees it, so an empty answer below means something."""
    assert "serving/predict.py" in {place.split(":")[0] for place in imports_of("serving", "registry")}


@pytest.mark.parametrize(
    ("app", "other"),
    [
        ("lineage", "registry"),
        ("lineage", "serving"),
        ("registry", "serving"),
        # mlflow_compat sits on top of the registry: only the site's URLs name it.
        ("registry", "mlflow_compat"),
        ("lineage", "mlflow_compat"),
        ("serving", "mlflow_compat"),
        # webhooks only delivers what it is told: the registry calls it, never the reverse.
        ("webhooks", "registry"),
        ("webhooks", "serving"),
        ("webhooks", "lineage"),
        ("webhooks", "mlflow_compat"),
    ],
)
def test_an_app_does_not_import_what_it_must_not(app, other):
    assert imports_of(app, other) == [], f"{app} must not import {other}"
