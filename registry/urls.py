from django.urls import path

from registry import api

app_name = "registry-api"

urlpatterns = [
    path("models", api.ModelsApi.as_view(), name="models"),
    path("models/<str:name>", api.ModelDetailApi.as_view(), name="model"),
    path("models/<str:name>/versions", api.VersionsApi.as_view(), name="versions"),
    path("models/<str:name>/versions/<int:version>", api.VersionDetailApi.as_view(), name="version"),
    path("models/<str:name>/refs/<str:ref>", api.RefApi.as_view(), name="ref"),
    path("models/<str:name>/versions/<int:version>/artifact", api.ArtifactApi.as_view(), name="artifact"),
    path("models/<str:name>/versions/<int:version>/onnx", api.OnnxArtifactApi.as_view(), name="onnx"),
    path("models/<str:name>/versions/<int:version>/stage", api.StageApi.as_view(), name="stage"),
    path("models/<str:name>/aliases/<str:alias>", api.AliasApi.as_view(), name="alias"),
    path("models/<str:name>/aliases/<str:alias>/rollback", api.RollbackApi.as_view(), name="alias-rollback"),
    path("models/<str:name>/stages/<str:stage>/rollback", api.RollbackApi.as_view(), name="stage-rollback"),
    path("models/<str:name>/history", api.HistoryApi.as_view(), name="history"),
    path("models/<str:name>/permissions", api.GrantsApi.as_view(), name="permissions"),
    path("models/<str:name>/policies", api.PoliciesApi.as_view(), name="policies"),
    path("models/<str:name>/policies/<str:target>", api.PolicyApi.as_view(), name="policy"),
    path("models/<str:name>/versions/<int:version>/approvals", api.ApprovalsApi.as_view(), name="approvals"),
    path("models/<str:name>/audit", api.AuditApi.as_view(), name="audit"),
]
