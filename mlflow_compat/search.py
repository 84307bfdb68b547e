"""MLflow's search grammar (`mlflow/utils/search_utils.py`), turned into ORM filters.

    name = 'm1' AND tag.`mlflow.prompt.is_prompt` != 'true' AND version_number > 2

Clauses joined by AND only; an attribute or `tag.`/`tags.`/`param.`/`params.` key
(bare, backticked or double-quoted); a comparator (=, !=, <, <=, >, >=, LIKE, ILIKE,
IN, NOT IN); a quoted string, a number, or a parenthesised list for IN. `!=` on a tag
also matches rows that lack the tag: the client relies on that for the prompt filter
it adds to every registered-model search.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass, field

from django.db.models import Q, TextField
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast

from registry_site import inputs
from registry_site.errors import InvalidParameter, RegistryError

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<string>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")
      | (?P<number>-?\d+(?:\.\d+)?(?![\w.]))
      | (?P<op>!=|<=|>=|=|<|>|\(|\)|,)
      | (?P<ident>(?:`[^`]*`|[\w\-:/]+(?:\.[\w\-:/]+)*)(?:\.(?:`[^`]*`|"[^"]*"))?)
    )""",
    re.VERBOSE,
)
_WORD_COMPARATORS = {"LIKE", "ILIKE", "IN"}
_KEYED = {"tag": "tags", "tags": "tags", "param": "params", "params": "params"}


@dataclass(frozen=True)
class Entity:
    """What one kind of search may filter and sort on: MLflow name -> ORM field."""

    attributes: dict[str, str]
    numeric: frozenset[str] = frozenset()
    listable: frozenset[str] = frozenset()  # attributes that take IN / NOT IN
    json_fields: frozenset[str] = frozenset({"tags"})
    order: dict[str, str] = field(default_factory=dict)


@dataclass
class Filter:
    where: Q = field(default_factory=Q)
    annotations: dict = field(default_factory=dict)


def parse_filter(text: str | None, entity: Entity) -> Filter:
    """The ORM condition for an MLflow filter string; InvalidParameter if malformed."""
    result = Filter()
    tokens = _tokens(text or "")
    while tokens:
        result.where &= _clause(tokens, entity, result.annotations)
        if tokens:
            conjunction = tokens.pop(0)
            if conjunction[1].upper() != "AND":
                raise InvalidParameter(f"Invalid filter '{text}': clauses can only be joined with AND")
    return result


def _tokens(text: str) -> list[tuple[str, str]]:
    tokens, position = [], 0
    text = text.rstrip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if not match or match.end() == position:
            raise InvalidParameter(f"Invalid filter '{text}': cannot parse it at {text[position:]!r}")
        kind = match.lastgroup
        tokens.append((kind, match.group(kind)))
        position = match.end()
    return tokens


def _clause(tokens: list, entity: Entity, annotations: dict) -> Q:
    if len(tokens) < 3 or tokens[0][0] != "ident":
        raise InvalidParameter("Invalid filter: expected '<attribute> <comparator> <value>'")
    _, identifier = tokens.pop(0)
    comparator = _comparator(tokens)
    value = _list_value(tokens) if comparator in ("IN", "NOT IN") else _scalar(tokens.pop(0))
    lookup = _field(identifier, entity, annotations)
    return _condition(lookup, comparator, value, identifier, entity)


def _comparator(tokens: list) -> str:
    kind, text = tokens.pop(0)
    word = text.upper()
    if kind == "ident" and word == "NOT" and tokens and tokens[0][1].upper() == "IN":
        tokens.pop(0)
        return "NOT IN"
    if (kind == "ident" and word in _WORD_COMPARATORS) or (kind == "op" and text not in "(),"):
        return word
    raise InvalidParameter(f"Invalid filter: {text!r} is not a comparator")


def _scalar(token: tuple[str, str]) -> str | float:
    kind, text = token
    if kind == "string":
        return re.sub(r"\\(.)", r"\1", text[1:-1])
    if kind == "number":
        return float(text)
    raise InvalidParameter(f"Invalid filter: expected a quoted value, got {text!r}")


def _list_value(tokens: list) -> list:
    if not tokens or tokens.pop(0)[1] != "(":
        raise InvalidParameter("Invalid filter: IN needs a parenthesised list of values")
    values = []
    while tokens:
        values.append(_scalar(tokens.pop(0)))
        closing = tokens.pop(0)[1] if tokens else ""
        if closing == ")":
            return values
        if closing != ",":
            break
    raise InvalidParameter("Invalid filter: unterminated list after IN")


def _unquote(key: str) -> str:
    return key[1:-1] if len(key) > 1 and key[0] == key[-1] and key[0] in '`"' else key


def _field(identifier: str, entity: Entity, annotations: dict) -> str:
    """The ORM name to filter on; a JSON key becomes an annotation of its own."""
    prefix, dot, key = identifier.partition(".")
    column = _KEYED.get(prefix.lower()) if dot else None
    if column in entity.json_fields:
        alias = f"_{column}_{len(annotations)}"
        # Cast: a bare key transform would compare values as JSON, not as the text stored.
        annotations[alias] = Cast(KeyTextTransform(_unquote(key), column), output_field=TextField())
        return alias
    attribute = _unquote(identifier)
    if attribute not in entity.attributes:
        known = ", ".join(sorted(entity.attributes))
        raise InvalidParameter(f"Invalid attribute key '{attribute}' specified. Valid keys are: {known}")
    return entity.attributes[attribute]


def _condition(lookup: str, comparator: str, value, identifier: str, entity: Entity) -> Q:
    numeric = _unquote(identifier) in entity.numeric
    if comparator in ("IN", "NOT IN"):
        if _unquote(identifier) not in entity.listable:
            raise InvalidParameter(f"Invalid filter: IN is not supported for {identifier}")
        matched = Q(**{f"{lookup}__in": [str(v) for v in value]})
        return ~matched if comparator == "NOT IN" else matched
    if numeric != isinstance(value, float):
        kind = "a number" if numeric else "a quoted string"
        raise InvalidParameter(f"Invalid filter: {identifier} must be compared with {kind}")
    value = inputs.whole_number(value, name=identifier) if numeric else value  # 1e5000 is a float too
    return _compare(lookup, comparator, value, numeric)


_ORDERINGS = {"<": "lt", "<=": "lte", ">": "gt", ">=": "gte"}


def _compare(lookup: str, comparator: str, value, numeric: bool) -> Q:
    if comparator == "=":
        return Q(**{lookup: value})
    if comparator == "!=":
        # NULL (a missing tag, a version without a recorded source) is "not equal" too.
        return Q(**{f"{lookup}__isnull": True}) | ~Q(**{lookup: value})
    if comparator in _ORDERINGS and numeric:
        return Q(**{f"{lookup}__{_ORDERINGS[comparator]}": value})
    if comparator in ("LIKE", "ILIKE") and not numeric:
        suffix = "regex" if comparator == "LIKE" else "iregex"
        return Q(**{f"{lookup}__{suffix}": like_to_regex(value)})
    raise InvalidParameter(f"Invalid comparator '{comparator}' for this attribute")


def like_to_regex(pattern: str) -> str:
    """SQL LIKE (`%` any run, `_` one character) as an anchored regular expression
    that SQLite's and PostgreSQL's regex engines read the same way."""
    out = []
    for char in pattern:
        if char == "%":
            out.append(".*")
        elif char == "_":
            out.append(".")
        elif char.isalnum() or char in " -:/@":
            out.append(char)
        else:
            out.append(f"[{char}]" if char not in "\\^]" else f"\\{char}")
    return "^" + "".join(out) + "$"


def parse_order(clauses: list[str] | None, entity: Entity, *, default: list[str]) -> list[str]:
    """`["name ASC", "`last_updated_timestamp` DESC"]` as ORM ordering."""
    order = []
    for clause in clauses or []:
        words = clause.strip().split()
        if not words or len(words) > 2 or (len(words) == 2 and words[1].upper() not in ("ASC", "DESC")):
            raise InvalidParameter(f"Invalid order_by clause '{clause}'")
        key = _unquote(words[0])
        if key not in entity.order:
            raise InvalidParameter(f"Invalid order_by key '{key}': use one of {', '.join(sorted(entity.order))}")
        descending = len(words) == 2 and words[1].upper() == "DESC"
        order.append(("-" if descending else "") + entity.order[key])
    return order + [item for item in default if item.lstrip("-") not in {o.lstrip("-") for o in order}]


# --- paging: an opaque token carrying the offset ----------------------------------------


def page_offset(token: str | None) -> int:
    if not token:
        return 0
    try:
        offset = inputs.parse_json(base64.urlsafe_b64decode(token.encode()))["offset"]
    except (ValueError, KeyError, TypeError, binascii.Error, RegistryError):
        raise InvalidParameter("Invalid page token") from None
    if not isinstance(offset, int) or isinstance(offset, bool):
        raise InvalidParameter("Invalid page token")
    # A row offset: within what the database's OFFSET takes.
    return inputs.whole_number(offset, name="the offset in page_token", minimum=0)


def page_token(offset: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"offset": offset}).encode()).decode()


def max_results(raw, *, default: int, limit: int) -> int:
    try:
        value = default if raw in (None, "") else int(raw)
    except (TypeError, ValueError):
        raise InvalidParameter(f"max_results must be a whole number, got {raw!r}") from None
    if not 1 <= value <= limit:
        raise InvalidParameter(f"Invalid value {value} for parameter 'max_results': it must be 1 to {limit}")
    return value


@dataclass(frozen=True)
class Page:
    """One page of a listing, from the request's `max_results` and `page_token`. A
    selector fetches `fetch` rows, one more than the page shows, to tell whether
    another page follows."""

    offset: int
    limit: int

    @classmethod
    def asked(cls, max_results_raw, token: str | None, *, default: int, limit: int) -> Page:
        shown = max_results(max_results_raw, default=default, limit=limit)  # its error comes before the token's
        return cls(offset=page_offset(token), limit=shown)

    @property
    def fetch(self) -> int:
        return self.limit + 1

    def body(self, key: str, rows: list, shape) -> dict:
        """`{key: [shape(row)...]}` for the rows shown, and the next page's token if any."""
        body = {key: [shape(row) for row in rows[: self.limit]]}
        if len(rows) > self.limit:
            body["next_page_token"] = page_token(self.offset + self.limit)
        return body


REGISTERED_MODELS = Entity(
    attributes={"name": "name"},
    order={"name": "name", "creation_timestamp": "created_at", "last_updated_timestamp": "updated_at"},
)
MODEL_VERSIONS = Entity(
    attributes={
        "name": "model__name",
        "version_number": "version",
        "run_id": "run_id",
        "source_path": "mlflow_source__source",
    },
    numeric=frozenset({"version_number"}),
    listable=frozenset({"name", "run_id"}),
    order={
        "name": "model__name",
        "version_number": "version",
        "creation_timestamp": "created_at",
        "last_updated_timestamp": "updated_at",
    },
)
LOGGED_MODELS = Entity(
    attributes={
        "name": "name",
        "model_id": "model_id",
        "source_run_id": "source_run_id",
        "status": "status",
        "model_type": "model_type",
    },
    listable=frozenset({"name", "model_id", "source_run_id"}),
    json_fields=frozenset({"tags", "params"}),
    order={"name": "name", "creation_timestamp": "created_at", "last_updated_timestamp": "updated_at"},
)
