"""Demo data from datasets that ship with scikit-learn (no download)."""

import io

import joblib
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from sklearn import datasets
from sklearn.ensemble import GradientBoostingClassifier, RandomForestClassifier, RandomForestRegressor
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.metrics import accuracy_score, f1_score, mean_absolute_error, r2_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from registry import artifacts, services
from registry.models import RegisteredModel

CLASSIFIERS = [
    ("logistic", lambda: make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000)), {"C": 1.0}),
    ("random-forest", lambda: RandomForestClassifier(n_estimators=50, random_state=0), {"n_estimators": 50}),
    ("gradient-boosting", lambda: GradientBoostingClassifier(n_estimators=50, random_state=0), {"n_estimators": 50}),
]
REGRESSORS = [
    ("ridge", lambda: make_pipeline(StandardScaler(), Ridge(alpha=1.0)), {"alpha": 1.0}),
    ("random-forest", lambda: RandomForestRegressor(n_estimators=50, random_state=0), {"n_estimators": 50}),
]
DEMOS = {
    "iris-classifier": (datasets.load_iris, CLASSIFIERS, "Iris species from petal and sepal sizes."),
    "breast-cancer-screening": (datasets.load_breast_cancer, CLASSIFIERS, "Malignant or benign from a biopsy."),
    "wine-quality": (datasets.load_wine, CLASSIFIERS[:2], "Wine cultivar from its chemistry."),
    "diabetes-progression": (datasets.load_diabetes, REGRESSORS, "Disease progression after one year."),
}


class Command(BaseCommand):
    help = "Register demo models (iris, breast cancer, wine, diabetes), promote one, set an alias."

    def add_arguments(self, parser):
        parser.add_argument("--user", help="username recorded as the author (default: system)")

    def handle(self, *args, **opts):
        actor = get_user_model().objects.get(username=opts["user"]) if opts["user"] else None
        for name, (loader, candidates, description) in DEMOS.items():
            if RegisteredModel.objects.filter(name=name).exists():
                self.stdout.write(f"{name}: already there")
                continue
            self._register(actor, name, loader, candidates, description)

    def _register(self, actor, name, loader, candidates, description):
        data = loader(as_frame=True)
        X_train, X_test, y_train, y_test = train_test_split(data.data, data.target, random_state=0)
        versions = []
        for kind, build, params in candidates:
            model = build().fit(X_train, y_train)
            versions.append(
                self._upload(
                    actor,
                    name,
                    model,
                    kind,
                    params,
                    description,
                    _scores(model, X_test, y_test),
                    loader.__name__.removeprefix("load_"),
                )
            )
        best = versions[-1]
        services.model_version_transition_stage(
            actor=actor, version=best, stage="Production", comment="best held-out score in the demo"
        )
        services.alias_set(actor=actor, model=best.model, alias="champion", version=best, comment="demo champion")
        services.model_version_transition_stage(
            actor=actor, version=versions[0], stage="Staging", comment="baseline kept for comparison"
        )
        self.stdout.write(f"{name}: {len(versions)} versions, v{best.version} in Production as champion")

    def _upload(self, actor, name, model, kind, params, description, metrics, dataset):
        buffer = io.BytesIO()
        joblib.dump(model, buffer)
        buffer.seek(0)
        with artifacts.spooled(buffer) as artifact:
            return services.model_version_create(
                actor=actor,
                model_name=name,
                artifact=artifact,
                description=f"{kind}. {description}",
                params={"estimator": kind, **params},
                metrics=metrics,
                inputs=[{"namespace": "sklearn-datasets", "name": dataset}],
                tags={"demo": "true"},
            )


def _scores(model, X_test, y_test) -> dict[str, float]:
    predicted = model.predict(X_test)
    if hasattr(model, "predict_proba"):
        return {
            "accuracy": round(accuracy_score(y_test, predicted), 4),
            "f1_macro": round(f1_score(y_test, predicted, average="macro"), 4),
        }
    return {"r2": round(r2_score(y_test, predicted), 4), "mae": round(mean_absolute_error(y_test, predicted), 4)}
