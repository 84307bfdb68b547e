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
from registry_site.errors import NotFound

LABEL_CHARS = 28
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
    keys = sorted(graph.depths, key=lambda k: (graph.depths[k], node_id(graph.node(k))))
    shown = keys[:MAX_DRAWN_NODES]
    visible = set(shown)
    edges = [(a, b) for a, b in graph.edges if a in visible and b in visible]
    layout = layered_layout(shown, edges)
    nodes = [_drawn(graph.node(key), layout.boxes[key], key in graph.start) for key in shown]
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


def _drawn(node: Dataset | Job, box: Box, is_start: bool) -> DrawnNode:
    kind = "job" if isinstance(node, Job) else ("model" if node.is_model else "dataset")
    label = f"{node.namespace.name} v{node.name}" if kind == "model" else node.name
    return DrawnNode(
        id=node_id(node),
        kind=kind,
        box=box,
        label=_shorten(label),
        sublabel=_shorten(node.namespace.name if kind != "model" else "model version"),
        href=node_href(node),
        is_start=is_start,
    )


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


def _shorten(text: str) -> str:
    """Both ends of a long name: paths and table names differ most at the end."""
    if len(text) <= LABEL_CHARS:
        return text
    head = LABEL_CHARS // 3
    return f"{text[:head]}…{text[-(LABEL_CHARS - head - 1) :]}"
