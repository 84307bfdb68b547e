"""Dataset versions follow content (schema, version facet, lifecycle), not runs, so a
job running every minute does not grow a version a minute (Marquez #3082)."""

from lineagekit import dataset, facet, folded, post, run_event, schema

from lineage.models import Dataset, DatasetVersion


def write(client, time: str, **facets):
    return post(client, run_event(outputs=[dataset("s3://lake", "orders", **facets)], time=time))


def test_a_hundred_runs_writing_the_same_schema_make_one_version(as_alice):
    for minute in range(100):
        write(as_alice, f"2024-05-01T12:{minute % 60:02d}:{minute // 60:02d}Z", **schema("id", "total"))

    folded()
    assert DatasetVersion.objects.count() == 1


def test_a_schema_change_makes_a_new_version_and_it_becomes_current(as_alice, as_bob):
    write(as_alice, "2024-05-01T12:00:00Z", **schema("id"))
    write(as_alice, "2024-05-01T13:00:00Z", **schema("id", "total"))

    listed = as_bob.get("/api/v1/datasets").json()["datasets"][0]

    folded()
    assert DatasetVersion.objects.count() == 2
    assert [f["name"] for f in listed["fields"]] == ["id", "total"]
    assert listed["currentVersion"] == str(Dataset.objects.get().current_version.uuid)


def test_a_version_facet_change_makes_a_new_version(as_alice):
    write(as_alice, "2024-05-01T12:00:00Z", version=facet(datasetVersion="snapshot-1"))
    write(as_alice, "2024-05-01T13:00:00Z", version=facet(datasetVersion="snapshot-2"))

    folded()
    assert DatasetVersion.objects.count() == 2


def test_a_new_client_version_in_facet_producers_is_not_a_new_version(as_alice):
    write(as_alice, "2024-05-01T12:00:00Z", **schema("id"))
    upgraded = schema("id")
    upgraded["schema"]["_producer"] = "https://github.com/OpenLineage/OpenLineage/tree/9.9.9/client/python"
    write(as_alice, "2024-05-01T13:00:00Z", **upgraded)

    folded()
    assert DatasetVersion.objects.count() == 1


def test_a_late_event_with_an_older_schema_does_not_replace_the_newer_one(as_alice):
    write(as_alice, "2024-05-01T13:00:00Z", **schema("id", "total"))
    write(as_alice, "2024-05-01T12:00:00Z", **schema("id"))

    folded()
    current = Dataset.objects.get()

    assert [f["name"] for f in current.fields] == ["id", "total"]
    assert DatasetVersion.objects.count() == 1


def test_an_event_reporting_no_facets_leaves_the_dataset_as_it_was(as_alice):
    write(as_alice, "2024-05-01T12:00:00Z", **schema("id"))
    write(as_alice, "2024-05-01T13:00:00Z")

    folded()
    assert [f["name"] for f in Dataset.objects.get().fields] == ["id"]


def test_a_deleted_facet_is_removed(as_alice):
    write(as_alice, "2024-05-01T12:00:00Z", documentation=facet(description="orders"))
    write(as_alice, "2024-05-01T13:00:00Z", documentation={"_producer": "x", "_schemaURL": "y", "_deleted": True})

    folded()
    assert "documentation" not in Dataset.objects.get().facets


def test_the_version_records_the_run_that_wrote_it(as_alice):
    event = run_event(outputs=[dataset("s3://lake", "orders", **schema("id"))])
    post(as_alice, event)

    folded()
    assert str(DatasetVersion.objects.get().created_by_run.uuid) == event["run"]["runId"]


def test_the_dataset_type_comes_from_its_facet_or_its_namespace_scheme(as_alice):
    post(
        as_alice,
        run_event(
            outputs=[
                dataset("kafka://broker:9092", "clicks"),
                dataset("s3://lake", "raw/clicks.parquet"),
                dataset("postgres://db:5432", "shop.public.orders"),
                dataset("bigquery", "p.d.v", datasetType=facet(datasetType="VIEW")),
            ]
        ),
    )

    folded()
    types = dict(Dataset.objects.values_list("name", "type"))

    assert types == {
        "clicks": "STREAM",
        "raw/clicks.parquet": "FILE",
        "shop.public.orders": "DB_TABLE",
        "p.d.v": "VIEW",
    }
