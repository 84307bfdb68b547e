"""What the graph page draws: a lineage `Graph` laid out by `lineage.layout`, with each
node's shape, label and link. The SVG itself is the template `lineage/_graph.svg`."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from urllib.parse import urlencode

from django.urls import NoReverseMatch, reverse

from lineage import backlog
from lineage.graph import Graph, lineage_graph, node_id
from lineage.layout import Box, EdgePath, layered_layout
from lineage.models import Dataset, Job
from lineage.runlevel import MODEL_VERSION_FACET
from registry_site.errors import NotFound

LABEL_CHARS = 28
SUBLABEL_CHARS = 32  # the sublabel's smaller font fits a few more
# Pages stay readable up to a few hundred nodes; the nearest ones are drawn first.
MAX_DRAWN_NODES = 300


@dataclass
class DrawnNode:
    id: str
    kind: str  # dataset, job or model: the CSS class and the shape
    box: Box
    label: str
    sublabel: str
    href: str
    is_start: bool
    state: str  # a job's last run state, a model version's stage and @aliases, else ""

    @property
    def state_class(self) -> str:
        """The CSS class colouring the state: its first word (COMPLETED, Production)."""
        first = self.state.split(" ", 1)[0]
        return "" if first.startswith("@") else first

    @property
    def text_x(self) -> float:
        return self.box.x + 14

    @property
    def label_y(self) -> float:
        return self.box.y + 19

    @property
    def sublabel_y(self) -> float:
        return self.box.y + 36


@dataclass
class Drawing:
    nodes: list[DrawnNode]
    edges: list[EdgePath]
    width: float
    height: float
    hidden: int  # nodes left out past MAX_DRAWN_NODES


def draw(graph: Graph) -> Drawing:
    keys = sorted(graph.depths, key=lambda k: (graph.depths[k], _natural_order(graph.node(k))))
    shown = keys[:MAX_DRAWN_NODES]
    visible = set(shown)
    edges = [(a, b) for a, b in graph.edges if a in visible and b in visible]
    layout = layered_layout(shown, edges, sibling_rank=lambda key: _version_rank(graph.node(key)))
    nodes = [_drawn(graph, key, layout.boxes[key]) for key in shown]
    paths = [EdgePath(node_id(graph.node(e.origin)), node_id(graph.node(e.destination)), e.d) for e in layout.edges]
    return Drawing(nodes, paths, layout.width, layout.height, hidden=len(keys) - len(shown))


def neighbourhood(node: str, depth: int = 2) -> Drawing | None:
    """The drawing within `depth` edges of `node`, or None while it has no lineage
    (a version registered without input datasets, say). Pages outside lineage (a
    model version's) call this, so it folds pending events first, as every reader does."""
    backlog.catch_up()
    try:
        return draw(lineage_graph(node, depth=depth))
    except NotFound:
        return None


def _natural_order(node: Dataset | Job) -> tuple:
    """Node ids in reading order, numbers by value: model:iris:2 before model:iris:10."""
    numbered = node.name.isdigit()
    return (node_id(node).removesuffix(node.name), not numbered, int(node.name) if numbered else 0, node.name)


def _version_rank(node: Dataset | Job) -> tuple[str, int] | None:
    """Datasets of one namespace named by numbers (a model's versions) are siblings."""
    if isinstance(node, Job) or not node.name.isdigit():
        return None
    return (node_id(node).removesuffix(node.name), int(node.name))


def _drawn(graph: Graph, key: tuple[int, int], box: Box) -> DrawnNode:
    node = graph.node(key)
    kind = "job" if isinstance(node, Job) else ("model" if node.is_model else "dataset")
    label = f"{node.namespace.name} v{node.name}" if kind == "model" else node.name
    state = _job_state(graph, key, node) if kind == "job" else (_version_state(node) if kind == "model" else "")
    sublabel = _sublabel(node, kind, state)
    room = SUBLABEL_CHARS - (len(state) + 3 if state else 0)  # "<state> · <sublabel>"
    return DrawnNode(
        id=node_id(node),
        kind=kind,
        box=box,
        label=_shorten(label),
        sublabel=_shorten(sublabel, max(room, 8)),
        href=node_href(node),
        is_start=key in graph.start,
        state=_shorten(state, SUBLABEL_CHARS),
    )


def _sublabel(node: Dataset | Job, kind: str, state: str) -> str:
    if kind != "model":
        return node.namespace.name
    # A version's stage says more than "model version"; its shape says the rest.
    return "" if state else "model version"


def _job_state(graph: Graph, key: tuple[int, int], job: Job) -> str:
    if key in graph.run_states:
        return graph.run_states[key]
    return job.latest_run.state if job.latest_run_id else ""


def _version_state(dataset: Dataset) -> str:
    """`Production @champion`: the stage the registry recorded (not the default None)
    and the aliases pointing at the version."""
    stage = dataset.facet_field(MODEL_VERSION_FACET, "stage")
    aliases = dataset.facet_field(MODEL_VERSION_FACET, "aliases")
    words = [stage] if isinstance(stage, str) and stage not in ("", "None") else []
    if isinstance(aliases, list):
        words += [f"@{alias}" for alias in aliases if isinstance(alias, str)]
    return " ".join(words)


def node_href(node: Dataset | Job) -> str:
    """A node's own page: a model version's registry page, else its lineage page."""
    query = urlencode({"namespace": node.namespace.name, "name": node.name})
    if isinstance(node, Job):
        return f"{reverse('lineage:job')}?{query}"
    if node.is_model and node.name.isdigit():
        # The registry's page, by its URL name only. Another producer's MODEL dataset
        # may bear a namespace no registry name can (a '/'): its lineage page then.
        with contextlib.suppress(NoReverseMatch):
            return reverse("registry:version", args=[node.namespace.name, int(node.name)])
    return f"{reverse('lineage:dataset')}?{query}"


def graph_href(node: Dataset | Job, **params) -> str:
    return f"{reverse('lineage:graph')}?{urlencode({'node': node_id(node), **params})}"


def _shorten(text: str, limit: int = LABEL_CHARS) -> str:
    """Both ends of a long name: paths and table names differ most at the end."""
    if len(text) <= limit:
        return text
    head = limit // 3
    return f"{text[:head]}…{text[-(limit - head - 1) :]}"
