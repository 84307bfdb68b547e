"""The layered layout: edges run left to right, long edges bend through their layers,
cycles are drawn, and barycentre ordering removes avoidable crossings."""

from lineage.layout import layered_layout


def centre_y(layout, key):
    box = layout.boxes[key]
    return box.y + box.height / 2


def test_every_edge_runs_from_a_left_column_to_a_right_one():
    edges = [("a", "j1"), ("j1", "b"), ("b", "j2"), ("j2", "c"), ("a", "j3")]

    layout = layered_layout(["a", "j1", "b", "j2", "c", "j3"], edges)

    assert all(layout.boxes[u].x < layout.boxes[v].x for u, v in edges)
    assert [(e.origin, e.destination) for e in layout.edges] == edges


def test_a_shared_input_sits_next_to_its_first_reader_not_far_left():
    edges = [("a", "j1"), ("j1", "b"), ("b", "j2"), ("dim", "j2"), ("j2", "c")]

    layout = layered_layout(["a", "j1", "b", "j2", "c", "dim"], edges)

    assert layout.boxes["dim"].x == layout.boxes["b"].x


def test_barycentre_ordering_untangles_crossed_edges():
    # Given in an order that crosses every edge: x1->y2, x2->y1 etc.
    nodes = ["x1", "x2", "x3", "y3", "y2", "y1"]
    edges = [("x1", "y1"), ("x2", "y2"), ("x3", "y3")]

    layout = layered_layout(nodes, edges)

    assert layout.crossings == 0
    order = sorted(["y1", "y2", "y3"], key=lambda k: centre_y(layout, k))
    assert order == sorted(["y1", "y2", "y3"], key=lambda k: centre_y(layout, "x" + k[1]))


def test_a_cycle_is_laid_out_with_every_edge_drawn():
    edges = [("raw", "merge"), ("merge", "table"), ("table", "merge")]

    layout = layered_layout(["raw", "merge", "table"], edges)

    assert {(e.origin, e.destination) for e in layout.edges} == set(edges)
    assert layout.boxes["raw"].x < layout.boxes["merge"].x < layout.boxes["table"].x


def test_a_long_edge_bends_through_each_layer_it_crosses():
    edges = [("a", "j1"), ("j1", "b"), ("b", "j2"), ("j2", "c"), ("a", "j2")]

    layout = layered_layout(["a", "j1", "b", "j2", "c"], edges)

    long_edge = next(e for e in layout.edges if (e.origin, e.destination) == ("a", "j2"))
    assert long_edge.d.count("C") == 3  # a -> slot in j1's layer -> slot in b's layer -> j2
    assert layout.crossings == 0


def test_three_hundred_nodes_are_laid_out_in_a_readable_size():
    nodes = [f"n{i}" for i in range(300)]
    edges = [(f"n{i}", f"n{i + 1}") for i in range(0, 299, 3)] + [(f"n{i}", f"n{i + 2}") for i in range(0, 297, 3)]

    layout = layered_layout(nodes, edges)

    assert len(layout.boxes) == 300 and len(layout.edges) == len(edges)
    assert layout.width < 2000


def test_ranked_siblings_are_stacked_in_rank_order_in_the_slots_the_sweeps_gave_them():
    # Given in version order, yet the sweeps stack v10 above v2 to follow their producers.
    nodes, edges = ["a", "b", "v2", "v10", "c"], [("a", "v2"), ("b", "v10"), ("a", "c")]

    def rank(key):
        return ("iris", int(key[1:])) if key.startswith("v") else None

    def column(layout):
        return sorted(["v2", "v10", "c"], key=lambda k: centre_y(layout, k))

    assert column(layered_layout(nodes, edges)) == ["v10", "c", "v2"]
    ranked = layered_layout(nodes, edges, sibling_rank=rank)
    assert column(ranked) == ["v2", "c", "v10"]  # c keeps its slot between them
    assert ranked.crossings == 2  # the price of reading order, counted
