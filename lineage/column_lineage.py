"""Reading the OpenLineage `columnLineage` facet: which input columns each output column
comes from. The facet is stored as the producer sent it, so whatever cannot be read here
(a list where a mapping belongs, a missing name) is skipped, never refused."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace


@dataclass(frozen=True)
class InputColumn:
    namespace: str
    name: str
    field: str
    transformation: str  # "DIRECT · IDENTITY", several joined by ", "
    description: str = ""
    href: str | None = None  # the input dataset's page; None while it is not in the store

    @property
    def key(self) -> tuple[str, str]:
        return (self.namespace, self.name)


@dataclass(frozen=True)
class OutputColumn:
    name: str
    inputs: list[InputColumn]


@dataclass(frozen=True)
class ColumnLineage:
    columns: list[OutputColumn]
    dataset_wide: list[InputColumn]  # inputs that affect every column (filters, joins)

    def inputs(self) -> Iterator[InputColumn]:
        yield from self.dataset_wide
        for column in self.columns:
            yield from column.inputs

    def linked(self, hrefs: dict[tuple[str, str], str]) -> ColumnLineage:
        def link(found: list[InputColumn]) -> list[InputColumn]:
            return [replace(item, href=hrefs.get(item.key)) for item in found]

        columns = [OutputColumn(column.name, link(column.inputs)) for column in self.columns]
        return ColumnLineage(columns, link(self.dataset_wide))


def read(facet: object, schema_order: Iterable[object]) -> ColumnLineage:
    """The output columns of `facet` in the schema's order, then the others by name."""
    facet = facet if isinstance(facet, dict) else {}
    fields = facet.get("fields") if isinstance(facet.get("fields"), dict) else {}
    columns = [OutputColumn(name, _inputs(entry)) for name, entry in fields.items() if isinstance(entry, dict)]
    position = {name: index for index, name in enumerate(schema_order)}
    columns.sort(key=lambda c: (c.name not in position, position.get(c.name, 0), c.name))
    return ColumnLineage([c for c in columns if c.inputs], _input_list(facet.get("dataset")))


def _inputs(entry: dict) -> list[InputColumn]:
    return _input_list(entry.get("inputFields"))


def _input_list(found: object) -> list[InputColumn]:
    if not isinstance(found, list):
        return []
    return [column for column in map(_input, found) if column is not None]


def _input(entry: object) -> InputColumn | None:
    if not isinstance(entry, dict):
        return None
    namespace, name, field = (entry.get(key) for key in ("namespace", "name", "field"))
    if not all(isinstance(part, str) and part for part in (namespace, name, field)):
        return None
    steps = _transformations(entry)
    return InputColumn(
        namespace=namespace,
        name=name,
        field=field,
        transformation=", ".join(text for text in map(_step_text, steps) if text),
        description="; ".join(s["description"] for s in steps if isinstance(s.get("description"), str)),
    )


def _transformations(entry: dict) -> list[dict]:
    steps = entry.get("transformations")
    if isinstance(steps, list):
        return [step for step in steps if isinstance(step, dict)]
    # Producers before the facet's 1-1-0 sent one transformation on the entry itself.
    return [{"type": entry.get("transformationType"), "description": entry.get("transformationDescription")}]


def _step_text(step: dict) -> str:
    words = [step.get(key) for key in ("type", "subtype")]
    text = " · ".join(word for word in words if isinstance(word, str) and word)
    return f"{text} (masked)" if text and step.get("masking") is True else text
