"""A left-to-right layered drawing of a directed graph (the Sugiyama method, small):

1. cycles are broken by reversing DFS back edges (drawn the right way round later);
2. layers by longest path from the sources, then sources pulled next to their first
   consumer so a shared input does not sit far left with a long edge;
3. edges spanning several layers get one dummy slot per layer crossed;
4. the order inside each layer comes from barycentre sweeps (down, then up), keeping
   the order with the fewest crossings; siblings the caller ranks (a model's versions)
   are then put in rank order among the slots they hold, so v2 sits above v10;
5. coordinates: layers are columns, nodes stacked and centred in their column; edges
   are cubic curves through their dummy slots.

Pure Python on node keys; the caller decides what a node looks like.
"""

from __future__ import annotations

from bisect import bisect_right, insort
from collections import defaultdict
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field

NODE_WIDTH, NODE_HEIGHT = 200, 46
LAYER_GAP, ROW_GAP, DUMMY_HEIGHT, MARGIN = 80, 18, 8, 20
SWEEPS = 12


@dataclass
class Box:
    x: float
    y: float
    width: float
    height: float


@dataclass
class EdgePath:
    origin: Hashable
    destination: Hashable
    d: str  # SVG path data from origin to destination


@dataclass
class Layout:
    boxes: dict[Hashable, Box] = field(default_factory=dict)
    edges: list[EdgePath] = field(default_factory=list)
    width: float = 0
    height: float = 0
    crossings: int = 0


@dataclass(frozen=True)
class _Dummy:
    edge: int
    layer: int


# A node's (group, rank), or None: nodes of one group are stacked in rank order.
SiblingRank = Callable[[Hashable], tuple[Hashable, float] | None]


def layered_layout(
    nodes: list[Hashable], edges: list[tuple[Hashable, Hashable]], sibling_rank: SiblingRank | None = None
) -> Layout:
    """Positions for `nodes` and paths for `edges` (pairs of node keys). `sibling_rank`
    orders the nodes of a group top to bottom within their layer."""
    forward = _acyclic(nodes, edges)
    layer = _layers(nodes, [(u, v) for u, v, _ in forward])
    chains = [[u, *(_Dummy(i, k) for k in range(layer[u] + 1, layer[v])), v] for i, (u, v, _) in enumerate(forward)]
    for chain in chains:
        for dummy in chain[1:-1]:
            layer[dummy] = dummy.layer
    columns, crossings = _order(layer, chains, sibling_rank)
    positions = _coordinates(columns)
    paths = [_path(chain, positions, reverse) for chain, (_, _, reverse) in zip(chains, forward, strict=True)]
    layout = Layout(crossings=crossings)
    layout.boxes = {key: box for key, box in positions.items() if not isinstance(key, _Dummy)}
    layout.edges = [
        EdgePath(v, u, d) if reverse else EdgePath(u, v, d) for (u, v, reverse), d in zip(forward, paths, strict=True)
    ]
    layout.width = MARGIN * 2 + len(columns) * NODE_WIDTH + max(len(columns) - 1, 0) * LAYER_GAP
    layout.height = MARGIN * 2 + max((_column_height(c) for c in columns), default=0)
    return layout


def _acyclic(nodes: list, edges: list[tuple]) -> list[tuple]:
    """(u, v, reversed): the edges with DFS back edges turned around."""
    successors = defaultdict(list)
    for u, v in edges:
        successors[u].append(v)
    state: dict = {}  # 1 on the DFS stack, 2 done
    back = set()
    for root in nodes:
        if root in state:
            continue
        stack = [(root, iter(successors[root]))]
        state[root] = 1
        while stack:
            node, children = stack[-1]
            child = next(children, None)
            if child is None:
                state[node] = 2
                stack.pop()
            elif state.get(child) == 1:
                back.add((node, child))
            elif child not in state:
                state[child] = 1
                stack.append((child, iter(successors[child])))
    return [(v, u, True) if (u, v) in back else (u, v, False) for u, v in edges if u != v]


def _layers(nodes: list, edges: list[tuple]) -> dict:
    predecessors, successors = defaultdict(list), defaultdict(list)
    for u, v in edges:
        predecessors[v].append(u)
        successors[u].append(v)
    layer: dict = {}
    waiting = {node: len(predecessors[node]) for node in nodes}
    ready = [node for node in nodes if waiting[node] == 0]
    while ready:
        node = ready.pop()
        layer[node] = max((layer[p] + 1 for p in predecessors[node]), default=0)
        for child in successors[node]:
            waiting[child] -= 1
            if waiting[child] == 0:
                ready.append(child)
    for node in nodes:
        if not predecessors[node] and successors[node]:
            layer[node] = min(layer[s] for s in successors[node]) - 1
    return layer


def _order(layer: dict, chains: list[list], sibling_rank: SiblingRank | None) -> tuple[list[list], int]:
    columns: list[list] = [[] for _ in range(max(layer.values(), default=-1) + 1)]
    for node in layer:  # insertion order: the caller's node order, then dummies
        columns[layer[node]].append(node)
    links = [(a, b) for chain in chains for a, b in zip(chain, chain[1:], strict=False)]
    above, below = defaultdict(list), defaultdict(list)
    for a, b in links:
        below[a].append(b)
        above[b].append(a)
    best, best_crossings = [list(c) for c in columns], _crossings(columns, below)
    for sweep in range(SWEEPS):
        if best_crossings == 0:
            break
        downwards = sweep % 2 == 0
        indexes = range(1, len(columns)) if downwards else range(len(columns) - 2, -1, -1)
        for i in indexes:
            fixed = columns[i - 1] if downwards else columns[i + 1]
            _sort_by_barycentre(columns[i], fixed, above if downwards else below)
        crossings = _crossings(columns, below)
        if crossings < best_crossings:
            best, best_crossings = [list(c) for c in columns], crossings
    if sibling_rank is None:
        return best, best_crossings
    for column in best:
        _rank_siblings(column, sibling_rank)
    return best, _crossings(best, below)


def _rank_siblings(column: list, sibling_rank: SiblingRank) -> None:
    """Each group's nodes in rank order, in the slots the sweeps gave the group: other
    nodes keep their place, so a model's versions read in order without a new layout."""
    slots: dict = defaultdict(list)
    for index, node in enumerate(column):
        ranked = None if isinstance(node, _Dummy) else sibling_rank(node)
        if ranked is not None:
            slots[ranked[0]].append((index, ranked[1]))
    for members in slots.values():
        ordered = sorted(members, key=lambda member: member[1])
        nodes = [column[index] for index, _ in ordered]
        for (index, _), node in zip(members, nodes, strict=True):
            column[index] = node


def _sort_by_barycentre(column: list, fixed: list, neighbours: dict) -> None:
    position = {node: i for i, node in enumerate(fixed)}
    current = {node: i for i, node in enumerate(column)}

    def barycentre(node):
        placed = [position[n] for n in neighbours[node] if n in position]
        # Scaled like the fixed column, so nodes without neighbours keep their place.
        scale = len(fixed) / max(len(column), 1)
        return (sum(placed) / len(placed)) if placed else current[node] * scale

    column.sort(key=barycentre)


def _crossings(columns: list[list], below: dict) -> int:
    total = 0
    for upper, lower in zip(columns, columns[1:], strict=False):
        position = {node: i for i, node in enumerate(lower)}
        pairs = sorted((i, position[b]) for i, a in enumerate(upper) for b in below[a] if b in position)
        seen: list[int] = []
        for _, pos in pairs:
            total += len(seen) - bisect_right(seen, pos)
            insort(seen, pos)
    return total


def _column_height(column: list) -> float:
    sizes = [DUMMY_HEIGHT if isinstance(node, _Dummy) else NODE_HEIGHT for node in column]
    return sum(sizes) + ROW_GAP * max(len(sizes) - 1, 0)


def _coordinates(columns: list[list]) -> dict:
    tallest = max((_column_height(c) for c in columns), default=0)
    positions = {}
    for index, column in enumerate(columns):
        x = MARGIN + index * (NODE_WIDTH + LAYER_GAP)
        y = MARGIN + (tallest - _column_height(column)) / 2
        for node in column:
            height = DUMMY_HEIGHT if isinstance(node, _Dummy) else NODE_HEIGHT
            positions[node] = Box(x, y, NODE_WIDTH, height)
            y += height + ROW_GAP
    return positions


def _path(chain: list, positions: dict, reverse: bool) -> str:
    """Curves from the right side of each slot to the left side of the next, straight
    through dummy slots; walked backwards for an edge that was reversed."""
    hops = []
    for a, b in zip(chain, chain[1:], strict=False):
        start, end = positions[a], positions[b]
        hops.append(((start.x + start.width, start.y + start.height / 2), (end.x, end.y + end.height / 2)))
    if reverse:
        hops = [(end, start) for start, end in reversed(hops)]
    parts = [f"M{hops[0][0][0]:.1f},{hops[0][0][1]:.1f}"]
    for index, (start, end) in enumerate(hops):
        if index:
            parts.append(f"L{start[0]:.1f},{start[1]:.1f}")
        middle = (start[0] + end[0]) / 2
        parts.append(f"C{middle:.1f},{start[1]:.1f} {middle:.1f},{end[1]:.1f} {end[0]:.1f},{end[1]:.1f}")
    return " ".join(parts)
