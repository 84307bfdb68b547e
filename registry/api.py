"""Native REST API (DESIGN §3.1). Thin: parse, call a service or selector, render."""

from __future__ import annotations

from django.http import FileResponse, HttpResponseRedirect
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import APIView

from registry import artifacts, auth, selectors, services
from registry.models import GrantLevel
from registry_site import inputs
from registry_site.errors import RegistryError


@extend_schema_field({"type": "string", "nullable": True, "description": "JSON text (a multipart field)"})
class JSONTextField(serializers.Field):
    """A multipart field carrying JSON text; errors name the field."""

    def __init__(self, *, kind: type, **kwargs):
        self.kind = kind
        super().__init__(required=False, allow_null=True, **kwargs)

    def to_internal_value(self, data):
        try:
            return inputs.json_of_kind(data, self.kind)
        except RegistryError as exc:  # reported as this field's error, like the others
            raise serializers.ValidationError(exc.message) from None


def _username(user) -> str | None:
    return user.get_username() if user else None


class ArtifactOut(serializers.Serializer):
    sha256 = serializers.CharField()
    size = serializers.IntegerField()
    format = serializers.CharField()
    serialization = serializers.CharField()
    download_url = serializers.CharField()
    # What the skops audit accepted at upload: a client loading the bytes trusts no more.
    trusted_types = serializers.ListField(child=serializers.CharField())


class VersionOut(serializers.Serializer):
    name = serializers.CharField(source="model.name")
    version = serializers.IntegerField()
    stage = serializers.CharField()
    aliases = serializers.SerializerMethodField()
    description = serializers.CharField()
    tags = serializers.DictField(child=serializers.CharField())
    artifact = serializers.SerializerMethodField()
    flavor = serializers.CharField()
    estimator_class = serializers.CharField()
    signature = serializers.JSONField()
    environment = serializers.DictField()
    params = serializers.DictField()
    metrics = serializers.DictField()
    inputs = serializers.ListField(child=serializers.DictField())
    run_id = serializers.CharField()
    onnx = serializers.SerializerMethodField()
    created_by = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    def get_aliases(self, version) -> list[str]:
        return sorted(alias.name for alias in version.aliases.all())

    @extend_schema_field(ArtifactOut)
    def get_artifact(self, version) -> dict:
        return {
            "sha256": version.artifact_sha256,
            "size": version.artifact_size,
            "format": version.artifact_format,
            "serialization": version.serialization,
            "download_url": reverse("registry-api:artifact", args=[version.model.name, version.version]),
            "trusted_types": list(version.trusted_types),
        }

    def get_onnx(self, version) -> dict:
        """runtime (what answers by default), status, reason, equivalence, latency_ms."""
        return selectors.onnx_state(version)

    def get_created_by(self, version) -> str | None:
        return _username(version.created_by)


class VersionBrief(serializers.Serializer):
    version = serializers.IntegerField()
    stage = serializers.CharField()
    created_at = serializers.DateTimeField()


class ModelOut(serializers.Serializer):
    name = serializers.CharField()
    description = serializers.CharField()
    tags = serializers.DictField(child=serializers.CharField())
    latest_version = VersionBrief(allow_null=True)
    stage_holders = serializers.SerializerMethodField()
    aliases = serializers.SerializerMethodField()
    created_by = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    def get_stage_holders(self, model) -> dict[str, list[int]]:
        holders: dict[str, list[int]] = {}
        for version in model.stage_holders:
            holders.setdefault(version.stage, []).append(version.version)
        return holders

    def get_aliases(self, model) -> dict[str, int]:
        return {alias.name: alias.version.version for alias in model.alias_list}

    def get_created_by(self, model) -> str | None:
        return _username(model.created_by)


def model_out(model) -> dict:
    return ModelOut(selectors.with_summaries([model])[0]).data


class Pages(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500


def _paginated(view: APIView, request, items, serializer_class, prepare=list) -> Response:
    """`{count, next, previous, results}` from the view's `pagination_class`, which the
    schema (drf-spectacular) reads too: it documents that envelope and the page parameters."""
    paginator = view.pagination_class()
    page = paginator.paginate_queryset(items, request, view=view)
    return paginator.get_paginated_response(serializer_class(prepare(page), many=True).data)


STAGE_FILTER = OpenApiParameter(
    "stage", description="None, Staging, Production or Archived (any case): only versions in that stage."
)
COMMENT = OpenApiParameter("comment", description="Why: kept in the audit log.")
OVERRIDE_HELP = "Staff only, with a comment: promote even though the target's policy checks fail (audited)."


class ModelsApi(APIView):
    write_permissions = {"POST": auth.CREATE_MODEL}
    pagination_class = Pages

    class CreateIn(serializers.Serializer):
        name = serializers.CharField(trim_whitespace=False, max_length=1000)
        description = serializers.CharField(required=False, allow_blank=True, default="")
        tags = serializers.DictField(child=serializers.CharField(allow_blank=True), required=False)

    @extend_schema(
        responses=ModelOut(many=True),
        parameters=[
            OpenApiParameter("search", description="Only models whose name contains this text (any case)."),
            OpenApiParameter("tag", description="Only models with this tag: `key` or `key=value`."),
            OpenApiParameter(
                "stage",
                description="None, Staging, Production or Archived (any case): only models with a version"
                " in that stage.",
            ),
        ],
    )
    def get(self, request):
        params = request.query_params
        stage = services.canonical_stage(params["stage"]) if params.get("stage") else ""
        models = selectors.model_list(search=params.get("search", ""), tag=params.get("tag", ""), stage=stage)
        return _paginated(self, request, models.select_related("created_by"), ModelOut, selectors.with_summaries)

    @extend_schema(request=CreateIn, responses={201: ModelOut})
    def post(self, request):
        data = _valid(self.CreateIn, request.data)
        model = services.registered_model_create(actor=request.user, **data)
        return Response(model_out(model), status=status.HTTP_201_CREATED)


class ModelDetailApi(APIView):
    write_permissions = {"PATCH": auth.EDIT_MODEL, "DELETE": auth.DELETE_MODEL}

    class UpdateIn(serializers.Serializer):
        description = serializers.CharField(required=False, allow_blank=True)
        tags = serializers.DictField(child=serializers.CharField(allow_blank=True), required=False)

    @extend_schema(responses=ModelOut)
    def get(self, request, name):
        return Response(model_out(selectors.model_get(name)))

    @extend_schema(request=UpdateIn, responses=ModelOut)
    def patch(self, request, name):
        data = _valid(self.UpdateIn, request.data)
        model = services.registered_model_update(actor=request.user, model=selectors.model_get(name), **data)
        return Response(model_out(model))

    @extend_schema(responses={204: None}, parameters=[COMMENT])
    def delete(self, request, name):
        model = selectors.model_get(name)
        services.registered_model_delete(
            actor=request.user, model=model, comment=request.query_params.get("comment", "")
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class VersionsApi(APIView):
    write_permissions = {"POST": auth.UPLOAD}
    pagination_class = Pages

    class UploadIn(serializers.Serializer):
        file = serializers.FileField(allow_empty_file=False)
        format = serializers.ChoiceField(choices=["joblib", "pickle", "skops", "mlflow"], required=False)
        description = serializers.CharField(required=False, allow_blank=True, default="")
        params = JSONTextField(kind=dict)
        metrics = JSONTextField(kind=dict)
        inputs = JSONTextField(kind=list)
        tags = JSONTextField(kind=dict)
        environment = JSONTextField(kind=dict)
        run_id = serializers.CharField(required=False, allow_blank=True, default="", max_length=64)

    def dispatch(self, request, *args, **kwargs):
        if request.method != "POST":
            return super().dispatch(request, *args, **kwargs)
        # Before anything reads the body: spool the file to disk, hashing it on the way.
        with artifacts.receiving(request):
            return super().dispatch(request, *args, **kwargs)

    @extend_schema(responses=VersionOut(many=True), parameters=[STAGE_FILTER])
    def get(self, request, name):
        params = request.query_params
        stage = services.canonical_stage(params["stage"]) if params.get("stage") else ""
        return _paginated(self, request, selectors.version_list(selectors.model_get(name), stage=stage), VersionOut)

    @extend_schema(
        request={"multipart/form-data": UploadIn},
        responses={201: VersionOut},
        parameters=[
            OpenApiParameter(
                artifacts.SHA256_HEADER,
                location=OpenApiParameter.HEADER,
                required=False,
                description="The sha256 of `file` (64 hex digits): checked (400 if it differs) and, on S3,"
                " lets the bytes stream to storage while they arrive.",
            )
        ],
    )
    def post(self, request, name):
        data = _valid(self.UploadIn, request.data)
        uploaded = data.pop("file")
        version = services.model_version_create(
            actor=request.user,
            model_name=name,
            artifact=artifacts.incoming_from_upload(uploaded),
            declared_format=data.pop("format", None),
            **data,
        )
        return Response(VersionOut(selectors.version_get(name, version.version)).data, status=status.HTTP_201_CREATED)


class VersionDetailApi(APIView):
    @extend_schema(responses=VersionOut)
    def get(self, request, name, version):
        return Response(VersionOut(selectors.version_get(name, version)).data)


class RefApi(APIView):
    @extend_schema(
        responses=VersionOut,
        description="The version a reference names, as serving resolves it: a version number, `latest`"
        " (the highest version not Archived), a stage name (its newest version) or an alias.",
    )
    def get(self, request, name, ref):
        found = selectors.version_for_ref(name, ref)
        return Response(VersionOut(selectors.version_get(name, found.version)).data)


class ArtifactApi(APIView):
    @extend_schema(responses={(200, "application/octet-stream"): bytes})
    def get(self, request, name, version):
        found = selectors.version_get(name, version)
        extension = {"mlflow": "zip", "skops": "skops"}.get(found.artifact_format, "joblib")
        return _artifact(found.artifact_sha256, found.artifact_size, f"{name}-v{found.version}.{extension}")


class OnnxArtifactApi(APIView):
    @extend_schema(
        responses={(200, "application/octet-stream"): bytes},
        description="The version's accepted ONNX form (404 when it has none): the bytes whose sha256 is"
        " `onnx.sha256` in the version record.",
    )
    def get(self, request, name, version):
        form = selectors.onnx_form_get(selectors.version_get(name, version))
        return _artifact(form.sha256, form.size, f"{name}-v{version}.onnx")


def _artifact(sha256: str, size: int, filename: str):
    """Stored bytes, streamed, or a redirect to a presigned URL when the store gives one."""
    url = artifacts.presigned_url(sha256)
    if url:
        return HttpResponseRedirect(url)
    response = FileResponse(
        artifacts.open_stream(sha256), as_attachment=True, filename=filename, content_type="application/octet-stream"
    )
    response["Content-Length"] = str(size)
    response["X-Artifact-Sha256"] = sha256
    return response


class StageApi(APIView):
    write_permissions = {"POST": auth.PROMOTE}

    class StageIn(serializers.Serializer):
        stage = serializers.CharField()
        archive_existing = serializers.BooleanField(required=False, default=False)
        comment = serializers.CharField(required=False, allow_blank=True, default="")
        override = serializers.BooleanField(required=False, default=False, help_text=OVERRIDE_HELP)

    @extend_schema(request=StageIn, responses=VersionOut)
    def post(self, request, name, version):
        data = _valid(self.StageIn, request.data)
        found = selectors.version_get(name, version)
        services.model_version_transition_stage(actor=request.user, version=found, **data)
        return Response(VersionOut(selectors.version_get(name, version)).data)


class AliasApi(APIView):
    write_permissions = {"PUT": auth.PROMOTE, "DELETE": auth.PROMOTE}

    class AliasIn(serializers.Serializer):
        version = serializers.IntegerField(min_value=1)
        comment = serializers.CharField(required=False, allow_blank=True, default="")
        override = serializers.BooleanField(required=False, default=False, help_text=OVERRIDE_HELP)

    @extend_schema(responses=VersionOut)
    def get(self, request, name, alias):
        found = selectors.alias_get(selectors.model_get(name), alias)
        return Response(VersionOut(selectors.version_get(name, found.version.version)).data)

    @extend_schema(request=AliasIn, responses=VersionOut)
    def put(self, request, name, alias):
        data = _valid(self.AliasIn, request.data)
        target = selectors.version_get(name, data.pop("version"))
        services.alias_set(actor=request.user, model=target.model, alias=alias, version=target, **data)
        return Response(VersionOut(selectors.version_get(name, target.version)).data)

    @extend_schema(responses={204: None}, parameters=[COMMENT])
    def delete(self, request, name, alias):
        model = selectors.model_get(name)
        services.alias_delete(
            actor=request.user, model=model, alias=alias, comment=request.query_params.get("comment", "")
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class RollbackApi(APIView):
    """Return an alias, or a stage that serves, to the version that served it before."""

    write_permissions = {"POST": auth.PROMOTE}

    class RollbackIn(serializers.Serializer):
        comment = serializers.CharField(required=False, allow_blank=True, default="")

    @extend_schema(request=RollbackIn, responses=VersionOut)
    def post(self, request, name, alias=None, stage=None):
        data = _valid(self.RollbackIn, request.data)
        target = services.serving_target(stage=stage, alias=alias)
        model = selectors.model_get(name)
        restored = services.serving_rollback(actor=request.user, model=model, target=target, **data)
        return Response(VersionOut(selectors.version_get(name, restored.version)).data)


class GrantOut(serializers.Serializer):
    user = serializers.CharField(source="user.username", allow_null=True, default=None)
    group = serializers.CharField(source="group.name", allow_null=True, default=None)
    level = serializers.CharField()


class GrantsApi(APIView):
    """MLflow's permissions on one model (READ, EDIT, MANAGE) for a user or a group,
    beside the role groups' on every model. Staff and the model's managers see and
    change them."""

    write_permissions = {"PUT": auth.PROMOTE, "DELETE": auth.PROMOTE}

    class HolderIn(serializers.Serializer):
        user = serializers.CharField(required=False)
        group = serializers.CharField(required=False)

        def validate(self, data):
            if ("user" in data) == ("group" in data):
                raise serializers.ValidationError("name either a user or a group")
            return data

    class GrantIn(HolderIn):
        level = serializers.ChoiceField(choices=GrantLevel.values)

    class GrantsOut(serializers.Serializer):
        name = serializers.CharField()
        permissions = GrantOut(many=True)

    @extend_schema(responses=GrantsOut)
    def get(self, request, name):
        model = selectors.model_get(name)
        services.require_grantor(request.user, model)
        return Response({"name": model.name, "permissions": GrantOut(selectors.grant_list(model), many=True).data})

    @extend_schema(request=GrantIn, responses=GrantOut)
    def put(self, request, name):
        data = _valid(self.GrantIn, request.data)
        model = selectors.model_get(name)
        grant = services.model_grant_set(actor=request.user, model=model, level=data["level"], **_holder(data))
        return Response(GrantOut(grant).data)

    @extend_schema(parameters=[HolderIn], responses={204: None})
    def delete(self, request, name):
        data = _valid(self.HolderIn, request.query_params)
        services.model_grant_delete(actor=request.user, model=selectors.model_get(name), **_holder(data))
        return Response(status=status.HTTP_204_NO_CONTENT)


def _holder(data: dict) -> dict:
    if "user" in data:
        return {"user": selectors.user_get(data["user"])}
    return {"group": selectors.group_get(data["group"])}


class HoldingOut(serializers.Serializer):
    target = serializers.SerializerMethodField()
    kind = serializers.SerializerMethodField()
    version = serializers.IntegerField()
    began_at = serializers.DateTimeField()
    ended_at = serializers.DateTimeField(allow_null=True)

    def get_target(self, holding) -> str:
        return holding.target.removeprefix("@")

    def get_kind(self, holding) -> str:
        return "alias" if holding.target.startswith("@") else "stage"


class HistoryApi(APIView):
    """`?at=<ISO 8601>`: which version served each stage and alias at that moment.
    Without it: every span of serving, newest first."""

    class HistoryIn(serializers.Serializer):
        at = serializers.DateTimeField(required=False)

    @extend_schema(parameters=[HistoryIn], responses=OpenApiTypes.OBJECT)
    def get(self, request, name):
        query = _valid(self.HistoryIn, request.query_params)
        model = selectors.model_get(name)
        if "at" in query:
            return Response({"name": model.name, "at": query["at"], **selectors.serving_at(model, query["at"])})
        holdings = HoldingOut(selectors.serving_history(model), many=True).data
        return Response({"name": model.name, "holdings": holdings})


class AuditOut(serializers.Serializer):
    model_name = serializers.CharField()
    version = serializers.IntegerField(allow_null=True)
    action = serializers.CharField()
    from_value = serializers.CharField()
    to_value = serializers.CharField()
    comment = serializers.CharField()
    actor = serializers.CharField(source="actor_name")
    created_at = serializers.DateTimeField()


class AuditApi(APIView):
    pagination_class = Pages

    @extend_schema(responses=AuditOut(many=True))
    def get(self, request, name):
        selectors.model_get(name)
        return _paginated(self, request, selectors.audit_for_model(name), AuditOut)


# --- governed promotion: policies and approvals -------------------------------------------


class PolicyOut(serializers.Serializer):
    model = serializers.CharField(source="model.name")
    target = serializers.CharField()
    rules = serializers.DictField()
    updated_by = serializers.SerializerMethodField()
    updated_at = serializers.DateTimeField()

    def get_updated_by(self, policy) -> str | None:
        return _username(policy.updated_by)


class PoliciesApi(APIView):
    @extend_schema(responses=PolicyOut(many=True))
    def get(self, request, name):
        return Response(PolicyOut(selectors.policy_list(selectors.model_get(name)), many=True).data)


class PolicyApi(APIView):
    """`target`: a stage (any case) or an alias name."""

    write_permissions = {"PUT": auth.PROMOTE, "DELETE": auth.PROMOTE}

    @extend_schema(responses=PolicyOut)
    def get(self, request, name, target):
        model = selectors.model_get(name)
        return Response(PolicyOut(selectors.policy_get(model, services.canonical_target(target))).data)

    @extend_schema(
        request={
            "application/json": {
                "type": "object",
                "description": "min_metrics, must_beat_current,"
                " lower_is_better, signature_compatible, approvals_required",
            }
        },
        responses=PolicyOut,
    )
    def put(self, request, name, target):
        policy = services.policy_set(
            actor=request.user, model=selectors.model_get(name), target=target, rules=request.data
        )
        return Response(PolicyOut(policy).data)

    @extend_schema(responses={204: None})
    def delete(self, request, name, target):
        services.policy_delete(actor=request.user, model=selectors.model_get(name), target=target)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ApprovalOut(serializers.Serializer):
    version = serializers.IntegerField(source="version.version")
    target = serializers.CharField()
    approver = serializers.CharField(source="approver.username")
    comment = serializers.CharField()
    created_at = serializers.DateTimeField()


class ApprovalsApi(APIView):
    write_permissions = {"POST": auth.PROMOTE}

    class ApprovalIn(serializers.Serializer):
        target = serializers.CharField()
        comment = serializers.CharField(required=False, allow_blank=True, default="")

    @extend_schema(responses=ApprovalOut(many=True))
    def get(self, request, name, version):
        return Response(ApprovalOut(selectors.approval_list(selectors.version_get(name, version)), many=True).data)

    @extend_schema(request=ApprovalIn, responses={201: ApprovalOut})
    def post(self, request, name, version):
        data = _valid(self.ApprovalIn, request.data)
        approval = services.approval_create(actor=request.user, version=selectors.version_get(name, version), **data)
        return Response(ApprovalOut(approval).data, status=status.HTTP_201_CREATED)


def _valid(serializer_class, data) -> dict:
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)
