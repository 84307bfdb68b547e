import warnings

from django.apps import AppConfig
from django.core.signals import setting_changed
from django.db.models.signals import post_delete, post_save


class ServingConfig(AppConfig):
    name = "serving"
    verbose_name = "Serving"

    def ready(self) -> None:
        from registry.models import Alias, ModelVersion, OnnxCompilation, RegisteredModel

        from .resolution import registry_changed

        # A finished ONNX compilation changes what serves the version, as a promotion would.
        for model in (ModelVersion, Alias, RegisteredModel, OnnxCompilation):
            post_save.connect(registry_changed, sender=model, dispatch_uid=f"serving-{model.__name__}-save")
            post_delete.connect(registry_changed, sender=model, dispatch_uid=f"serving-{model.__name__}-delete")
        # Serving hands numeric models a plain array in the signature's column order,
        # already checked by name; sklearn would warn on every request that the array
        # has no column names.
        warnings.filterwarnings("ignore", message="X does not have valid feature names", category=UserWarning)
        setting_changed.connect(forget_everything, dispatch_uid="serving-settings")


# What the caches hold was read from (or decided under) these settings.
CACHED_UNDER = {"DATABASES", "STORAGES", "REGISTRY_PUBLIC_READ", "SERVING_CACHE_MAX_MODELS", "SERVING_ONNX"}


def forget_everything(*, setting: str, **_kwargs) -> None:
    """Settings change only in tests; each such change starts serving afresh."""
    if setting in CACHED_UNDER:
        from registry_site import access

        from . import predict, resolution

        resolution.forget_resolutions()
        predict.forget_models()
        access.forget()
