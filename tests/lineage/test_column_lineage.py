"""Column-level lineage: when an output dataset carries the `columnLineage` facet, its page
shows, per output column, the input columns it comes from, each linked to its dataset."""

from html.parser import HTMLParser

import pytest
from lineagekit import dataset, facet, post, run_event, schema

from kit import client_for

WH = "postgres://db:5432"


class ColumnRows(HTMLParser):
    """The rows of the page's column lineage table: output column -> [(text, href, transformation)]."""

    def __init__(self, page: str):
        super().__init__()
        self.rows: dict[str, list[tuple[str, str | None, str]]] = {}
        self.row: list | None = None
        self.item: list | None = None
        self.capture: str | None = None
        self.feed(page)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "tr" and ("data-column" in attrs or attrs.get("class") == "dataset-wide"):
            self.row = self.rows.setdefault(attrs.get("data-column", "*"), [])
        elif tag == "li" and self.row is not None:
            self.item = ["", None, ""]
        elif self.item is not None and tag in ("a", "span"):
            self.capture = "transformation" if "muted" in (attrs.get("class") or "") else "name"
            if tag == "a":
                self.item[1] = attrs["href"]

    def handle_endtag(self, tag):
        if tag == "li" and self.item is not None:
            self.row.append(tuple(self.item))
            self.item = None
        elif tag == "tr":
            self.row = None
        elif tag in ("a", "span"):
            self.capture = None

    def handle_data(self, data):
        if self.item is not None and self.capture:
            self.item[0 if self.capture == "name" else 2] += data.strip()


@pytest.fixture
def browser(bob):
    client = client_for(None)
    client.force_login(bob)
    return client


def page(browser, name: str, namespace: str = WH):
    return browser.get("/lineage/dataset/", {"namespace": namespace, "name": name})


def rows_of(browser, name: str) -> dict:
    response = page(browser, name)
    assert response.status_code == 200
    return ColumnRows(response.content.decode()).rows


def source(name: str, field: str, *transformations: tuple[str, str]) -> dict:
    steps = [
        {"type": kind, "subtype": subtype, "description": "", "masking": False} for kind, subtype in transformations
    ]
    return {"namespace": WH, "name": name, "field": field, "transformations": steps}


def summary_written(client, lineage: dict, *, columns=("order_total", "customer_name"), time="2024-05-01T12:00:00Z"):
    """A run reading shop.orders and shop.customers and writing shop.summary with `lineage`."""
    event = run_event(
        inputs=[dataset(WH, "shop.orders", **schema("id", "total")), dataset(WH, "shop.customers", **schema("name"))],
        outputs=[dataset(WH, "shop.summary", **schema(*columns), columnLineage=lineage)],
        time=time,
    )
    response = post(client, event)
    assert response.status_code == 201, response.content


ORDERS = "/lineage/dataset/?namespace=postgres%3A%2F%2Fdb%3A5432&name=shop.orders"
CUSTOMERS = "/lineage/dataset/?namespace=postgres%3A%2F%2Fdb%3A5432&name=shop.customers"
TWO_COLUMNS = facet(
    fields={
        "customer_name": {"inputFields": [source("shop.customers", "name", ("DIRECT", "IDENTITY"))]},
        "order_total": {
            "inputFields": [
                source("shop.orders", "total", ("DIRECT", "AGGREGATION")),
                source("shop.orders", "id", ("INDIRECT", "GROUP_BY")),
            ]
        },
    }
)


def test_each_output_column_lists_its_input_columns_linked_to_their_datasets(as_alice, browser):
    summary_written(as_alice, TWO_COLUMNS)

    assert rows_of(browser, "shop.summary") == {
        "order_total": [
            (f"{WH} / shop.orders . total", ORDERS, "DIRECT · AGGREGATION"),
            (f"{WH} / shop.orders . id", ORDERS, "INDIRECT · GROUP_BY"),
        ],
        "customer_name": [(f"{WH} / shop.customers . name", CUSTOMERS, "DIRECT · IDENTITY")],
    }


def test_the_input_links_open_the_input_datasets_pages(as_alice, browser):
    summary_written(as_alice, TWO_COLUMNS)

    for href, name in ((ORDERS, "shop.orders"), (CUSTOMERS, "shop.customers")):
        response = browser.get(href)
        assert response.status_code == 200
        assert f"<h1>{name}</h1>" in response.content.decode()


def test_output_columns_follow_the_schema_then_the_others_by_name(as_alice, browser):
    lineage = facet(fields={name: {"inputFields": [source("shop.orders", "id")]} for name in ("zeta", "b", "a", "c")})
    summary_written(as_alice, lineage, columns=("c", "a"))

    assert list(rows_of(browser, "shop.summary")) == ["c", "a", "b", "zeta"]


def test_a_dataset_without_the_facet_shows_no_column_lineage_section(as_alice, browser):
    summary_written(as_alice, TWO_COLUMNS)

    response = page(browser, "shop.orders")

    assert response.status_code == 200
    assert "Column lineage" not in response.content.decode()


@pytest.mark.parametrize(
    "lineage",
    [
        facet(fields=[{"customer_name": {"inputFields": []}}]),
        facet(fields={"customer_name": {"inputFields": "shop.customers.name"}}),
        facet(fields={"customer_name": "shop.customers.name", "x": {"inputFields": [{"namespace": WH}, 7, None]}}),
        "not an object",
    ],
    ids=["fields-a-list", "input-fields-a-string", "entries-of-the-wrong-kind", "text"],
)
def test_a_malformed_facet_leaves_the_page_working(as_alice, browser, lineage):
    summary_written(as_alice, lineage)

    response = page(browser, "shop.summary")

    assert response.status_code == 200
    assert "Column lineage" in response.content.decode()
    assert ColumnRows(response.content.decode()).rows == {}


def test_the_readable_columns_of_a_partly_malformed_facet_are_shown(as_alice, browser):
    lineage = facet(
        fields={
            "customer_name": {
                "inputFields": [
                    {**source("shop.customers", "name"), "transformations": "DIRECT"},
                    {"namespace": WH, "name": 3, "field": "id"},
                ]
            },
            "order_total": {"inputFields": "shop.orders.total"},
        }
    )
    summary_written(as_alice, lineage)

    assert rows_of(browser, "shop.summary") == {"customer_name": [(f"{WH} / shop.customers . name", CUSTOMERS, "")]}


def test_a_later_event_with_a_changed_facet_replaces_the_shown_lineage(as_alice, browser):
    summary_written(as_alice, TWO_COLUMNS, time="2024-05-01T12:00:00Z")
    changed = facet(fields={"order_total": {"inputFields": [source("shop.orders", "total", ("DIRECT", "IDENTITY"))]}})
    summary_written(as_alice, changed, time="2024-05-01T13:00:00Z")

    assert rows_of(browser, "shop.summary") == {
        "order_total": [(f"{WH} / shop.orders . total", ORDERS, "DIRECT · IDENTITY")]
    }


def test_older_producers_transformation_type_and_description_are_read(as_alice, browser):
    legacy = {"namespace": WH, "name": "shop.orders", "field": "total", "transformationType": "IDENTITY"}
    legacy["transformationDescription"] = "copied as is"
    summary_written(as_alice, facet(fields={"order_total": {"inputFields": [legacy]}}))

    response = page(browser, "shop.summary")

    assert ColumnRows(response.content.decode()).rows["order_total"] == [
        (f"{WH} / shop.orders . total", ORDERS, "IDENTITY")
    ]
    assert 'title="copied as is"' in response.content.decode()


def test_a_masking_transformation_says_so(as_alice, browser):
    masked = source("shop.customers", "name")
    masked["transformations"] = [{"type": "DIRECT", "subtype": "TRANSFORMATION", "masking": True}]
    summary_written(as_alice, facet(fields={"customer_name": {"inputFields": [masked]}}))

    assert rows_of(browser, "shop.summary")["customer_name"][0][2] == "DIRECT · TRANSFORMATION (masked)"


def test_dataset_wide_inputs_are_listed_for_every_column(as_alice, browser):
    lineage = facet(fields={}, dataset=[source("shop.orders", "id", ("INDIRECT", "FILTER"))])
    summary_written(as_alice, lineage)

    assert rows_of(browser, "shop.summary") == {"*": [(f"{WH} / shop.orders . id", ORDERS, "INDIRECT · FILTER")]}


def test_an_input_dataset_not_in_the_store_is_named_without_a_link(as_alice, browser):
    lineage = facet(fields={"order_total": {"inputFields": [source("shop.elsewhere", "total")]}})
    summary_written(as_alice, lineage)

    assert rows_of(browser, "shop.summary") == {"order_total": [(f"{WH} / shop.elsewhere . total", None, "")]}
