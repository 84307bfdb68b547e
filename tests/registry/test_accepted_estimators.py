import pytest
from sklearn.cluster import KMeans
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import GradientBoostingClassifier, HistGradientBoostingClassifier, RandomForestClassifier
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from sklearn.svm import SVC
from sklearn.tree import DecisionTreeRegressor

from kit import joblib_bytes, upload

ESTIMATORS = {
    "logistic-regression": lambda: LogisticRegression(max_iter=500),
    "random-forest": lambda: RandomForestClassifier(n_estimators=10, random_state=0),
    "gradient-boosting": lambda: GradientBoostingClassifier(n_estimators=10, random_state=0),
    "scaler-logistic-pipeline": lambda: make_pipeline(StandardScaler(), LogisticRegression(max_iter=500)),
    "hist-gradient-boosting": lambda: HistGradientBoostingClassifier(max_iter=10),
    "svc": lambda: SVC(probability=True, random_state=0),
    "knn": lambda: KNeighborsClassifier(),
    "decision-tree-regressor": lambda: DecisionTreeRegressor(max_depth=4),
    "ridge": lambda: Ridge(),
    "kmeans": lambda: KMeans(n_clusters=3, n_init=2, random_state=0),
}


@pytest.mark.parametrize("kind", sorted(ESTIMATORS))
def test_a_legitimate_estimator_is_accepted(as_alice, iris, kind):
    X, y = iris
    estimator = ESTIMATORS[kind]().fit(X, y)

    response = upload(as_alice, kind, joblib_bytes(estimator))

    assert response.status_code == 201, response.content
    assert response.json()["estimator_class"].endswith(type(estimator).__name__)


def test_a_column_transformer_over_string_and_numeric_columns_is_accepted_with_typed_signature(as_alice, iris):
    X, y = iris
    X = X.assign(colour=["red", "green", "blue"] * 50)
    numeric = list(X.columns[:4])
    pipeline = make_pipeline(
        ColumnTransformer([("num", StandardScaler(), numeric), ("cat", OneHotEncoder(), ["colour"])]),
        LogisticRegression(max_iter=500),
    ).fit(X, y)

    response = upload(as_alice, "column-transformer", joblib_bytes(pipeline))

    assert response.status_code == 201, response.content
    types = {column["name"]: column["type"] for column in response.json()["signature"]["inputs"]}
    assert types["colour"] == "string"
    assert types["sepal length (cm)"] == "double"
