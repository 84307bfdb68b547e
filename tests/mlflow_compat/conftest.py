"""Trina trains models: an uploader and promoter, as the MLflow client and as a token."""

import pytest
from mlflowkit import connect, trainer

from kit import client_for


@pytest.fixture
def trina(db):
    return trainer()


@pytest.fixture
def as_trina(trina):
    return client_for(trina, keyword="Bearer")


@pytest.fixture
def mlflow_client(trina, request):
    """The real MlflowClient pointed at the live server as trina."""
    return connect(request, trina)
