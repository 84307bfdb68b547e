"""Helpers for the client's tests. Not a conftest: see tests/kit.py."""

LIVE = {"transaction": True, "serialized_rollback": True}
IRIS_ROW = {"sepal length (cm)": 5.1, "sepal width (cm)": 3.5, "petal length (cm)": 1.4, "petal width (cm)": 0.2}
