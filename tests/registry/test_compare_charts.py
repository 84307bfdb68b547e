"""Compare's metric charts: labelled axes with ticks, drawn to their container's width."""

import xml.etree.ElementTree as ET

import pytest

from kit import SVG, upload


@pytest.fixture
def three_versions(as_alice, iris_joblib):
    for accuracy in (0.91, 0.95, 0.97):
        upload(as_alice, "iris", iris_joblib, metrics=f'{{"accuracy": {accuracy}}}')


def accuracy_chart(client) -> ET.Element:
    content = client.get("/models/iris/compare/?v=1&v=2&v=3").content.decode()
    start = content.index('<svg xmlns="http://www.w3.org/2000/svg"')
    return ET.fromstring(content[start : content.index("</svg>", start) + len("</svg>")])


def texts(svg: ET.Element, css_class: str) -> list[str]:
    return [t.text for t in svg.iter(f"{SVG}text") if t.get("class") == css_class]


def test_the_chart_scales_to_its_containers_width(client, bob, three_versions):
    client.force_login(bob)

    svg = accuracy_chart(client)

    assert svg.get("width") == "100%"
    assert svg.get("height") is None
    assert svg.get("viewBox") == "0 0 480 240"


def test_the_chart_has_labelled_axes_with_ticks(client, bob, three_versions):
    client.force_login(bob)

    svg = accuracy_chart(client)

    assert texts(svg, "axis-title x") == ["version"]
    assert texts(svg, "axis-title y") == ["accuracy"]
    assert texts(svg, "tick x") == ["v1", "v2", "v3"]
    y_ticks = [float(t) for t in texts(svg, "tick y")]
    assert len(y_ticks) >= 3
    assert y_ticks == sorted(y_ticks)
    assert y_ticks[0] <= 0.91 and y_ticks[-1] >= 0.97
