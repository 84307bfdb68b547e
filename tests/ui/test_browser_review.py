"""A reviewer's path through the UI in a real browser, against a live server."""

import pytest

from registry import artifacts, services
from registry.models import ModelVersion

from kit import changes, user_with_roles

# A live server needs real commits; `reviewer` grants the roles again if a flush emptied them.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def reviewer(db):
    return user_with_roles("rita", "viewers", "promoters")


@pytest.fixture
def registered(iris, iris_model, tmp_path):
    """iris-classifier v1 and v2 with different metrics, and a second model."""
    import io

    import joblib
    from sklearn.linear_model import LogisticRegression

    X, y = iris
    for name, model, accuracy in (
        ("iris-classifier", iris_model, 0.93),
        ("iris-classifier", LogisticRegression(C=0.1, max_iter=500).fit(X, y), 0.96),
        ("wine-quality", iris_model, 0.88),
    ):
        buffer = io.BytesIO()
        joblib.dump(model, buffer)
        buffer.seek(0)
        with artifacts.spooled(buffer) as artifact:
            services.model_version_create(
                actor=None,
                model_name=name,
                artifact=artifact,
                metrics={"accuracy": accuracy},
                params={"C": model.C},
                inputs=["s3://datasets/iris/train.csv"],
            )


def test_a_reviewer_logs_in_searches_and_opens_a_model(page, live_server, log_in, reviewer, registered):
    log_in(reviewer)
    page.fill("input[name=search]", "iris")
    page.click("button:has-text('Filter')")

    assert page.locator("table.models tbody tr").count() == 1
    page.click("text=iris-classifier")
    assert page.locator("h1").inner_text() == "iris-classifier"
    assert page.locator("table.versions tbody tr").count() == 2


def test_a_reviewer_compares_two_versions(page, live_server, log_in, reviewer, registered):
    log_in(reviewer, "/models/iris-classifier/")
    page.check("input[name=v][value='1']")
    page.check("input[name=v][value='2']")
    page.click("button:has-text('Compare selected')")

    assert "/compare/" in page.url
    row = page.locator("table.compare tr.diff", has_text="accuracy")
    assert row.locator("td").all_inner_texts() == ["0.96", "0.93"]  # newest first
    assert page.locator("svg.metric-chart circle").count() == 2


def test_a_reviewer_opens_the_lineage_view_and_clicks_through_to_a_dataset(
    page, live_server, log_in, reviewer, registered
):
    log_in(reviewer, "/models/iris-classifier/versions/2/")
    assert page.locator("svg.lineage-graph g.node").count() == 3  # the version's neighbourhood
    page.click("text=Explore the lineage")

    assert "/lineage/" in page.url
    assert (
        page.locator("svg.lineage-graph g.node.job").get_attribute("data-node-id")
        == "job:model-registry:train.iris-classifier"
    )
    page.click("svg.lineage-graph g.node.dataset")

    assert "/lineage/dataset/" in page.url
    assert page.locator("h1").inner_text() == "iris/train.csv"
    assert "s3://datasets" in page.locator("section.card").first.inner_text()


def test_a_promoter_promotes_with_a_comment_and_finds_it_in_the_audit_log(
    page, live_server, log_in, reviewer, registered
):
    log_in(reviewer, "/models/iris-classifier/versions/2/")
    page.select_option("select[name=stage]", "Production")
    page.fill("textarea[name=comment]", "higher accuracy on the holdout")
    page.click("button:has-text('Change stage')")
    assert "Move version 2 from None to Production?" in page.locator("h1").inner_text()
    page.click("button:has-text('Confirm')")

    assert page.locator(".messages").inner_text() == "Version 2 is now Production."
    assert ModelVersion.objects.get(model__name="iris-classifier", version=2).stage == "Production"
    page.click("nav >> text=Audit")
    first = page.locator("table.audit tbody tr").first
    assert "higher accuracy on the holdout" in first.inner_text()
    assert "rita" in first.inner_text()
    assert changes().get().comment == "higher accuracy on the holdout"
