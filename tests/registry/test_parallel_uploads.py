from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from rest_framework.authtoken.models import Token

from registry.models import ModelVersion

from kit import is_postgres

pytestmark = pytest.mark.skipif(
    not is_postgres(), reason="SQLite serialises all writers; concurrency is proven on PostgreSQL"
)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_twenty_parallel_uploads_get_twenty_distinct_consecutive_versions(live_server, alice, iris_joblib):
    token = Token.objects.create(user=alice).key

    def post(_):
        response = requests.post(
            f"{live_server.url}/api/v1/models/parallel/versions",
            headers={"Authorization": f"Bearer {token}"},
            files={"file": ("model.joblib", iris_joblib)},
            timeout=60,
        )
        return response.status_code, response.json().get("version")

    with ThreadPoolExecutor(max_workers=20) as pool:
        results = list(pool.map(post, range(20)))

    assert [status for status, _ in results] == [201] * 20
    assert sorted(version for _, version in results) == list(range(1, 21))
    stored = ModelVersion.objects.filter(model__name="parallel").values_list("version", flat=True)
    assert sorted(stored) == list(range(1, 21))
