"""Django admin: browse everything; promote through actions that call the services.

Stage and alias changes go only through the actions (never a raw edit form), so every
change is audited with the user and a comment.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.template.response import TemplateResponse

from registry import auth, services
from registry.forms import AliasForm, StageForm
from registry.models import Alias, Approval, AuditEntry, ModelGrant, ModelVersion, Policy, RegisteredModel, Stage
from registry_site.errors import Forbidden, RegistryError


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class ModelGrantInline(admin.TabularInline):
    """Shown, not edited here: grants are made through the API, which audits them."""

    model = ModelGrant
    extra = 0
    can_delete = False
    readonly_fields = ["user", "group", "level", "created_at"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(RegisteredModel)
class RegisteredModelAdmin(admin.ModelAdmin):
    inlines = [ModelGrantInline]
    list_display = ["name", "last_version_number", "created_by", "updated_at"]
    search_fields = ["name", "description"]
    readonly_fields = ["last_version_number", "created_by", "created_at", "updated_at"]
    fields = ["name", "description", "tags", *readonly_fields]

    def has_add_permission(self, request):
        return False  # models come into being with their first upload

    def get_readonly_fields(self, request, obj=None):
        # No renaming here, superusers included: a rename goes through the services' rename.
        return ["name", *self.readonly_fields] if obj else self.readonly_fields

    def save_model(self, request, obj, form, change):
        services.registered_model_update(actor=request.user, model=obj, description=obj.description, tags=obj.tags)

    def has_delete_permission(self, request, obj=None):
        if not super().has_delete_permission(request, obj):
            return False
        return obj is None or not services.pinned_refusal(request.user, model=obj, doing="deleting it")

    def get_deleted_objects(self, objs, request):
        # Versions and aliases go with their model through the service, which alone judges
        # who may; their own admins refuse deleting them one by one, which must not veto it.
        deleted, counts, _, protected = super().get_deleted_objects(objs, request)
        refused = {str(self.opts.verbose_name) for obj in objs if not self.has_delete_permission(request, obj)}
        return deleted, counts, refused, protected

    def delete_model(self, request, obj):
        try:
            services.registered_model_delete(actor=request.user, model=obj, comment="deleted in admin")
        except Forbidden as exc:  # pinned since the confirmation page: the view's transaction rolls back
            raise PermissionDenied(exc.message) from exc

    @transaction.atomic  # the admin's bulk delete is all or nothing, like its delete view
    def delete_queryset(self, request, queryset):
        for model in queryset:
            self.delete_model(request, model)


@admin.register(ModelVersion)
class ModelVersionAdmin(ReadOnlyAdmin):
    list_display = [
        "model",
        "version",
        "stage",
        "alias_names",
        "artifact_format",
        "estimator",
        "created_by",
        "created_at",
    ]
    list_filter = ["stage", "artifact_format"]
    search_fields = ["model__name", "estimator_class", "run_id"]
    list_select_related = ["model", "created_by"]
    actions = ["promote_to_staging", "promote_to_production", "archive", "set_alias"]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("aliases")

    @admin.display(description="aliases")
    def alias_names(self, version):
        return ", ".join(sorted(a.name for a in version.aliases.all())) or "—"

    @admin.display(description="estimator", ordering="estimator_class")
    def estimator(self, version):
        return version.estimator_class.rsplit(".", 1)[-1]

    def has_promote_permission(self, request):
        return request.user.has_perm(auth.PROMOTE)

    def has_delete_permission(self, request, obj=None):
        return False  # deletions go through the API, audited

    @admin.action(permissions=["promote"], description="Promote to Staging")
    def promote_to_staging(self, request, queryset):
        return self._change_stage(request, queryset, Stage.STAGING)

    @admin.action(permissions=["promote"], description="Promote to Production")
    def promote_to_production(self, request, queryset):
        return self._change_stage(request, queryset, Stage.PRODUCTION)

    @admin.action(permissions=["promote"], description="Archive")
    def archive(self, request, queryset):
        return self._change_stage(request, queryset, Stage.ARCHIVED)

    @admin.action(permissions=["promote"], description="Set alias")
    def set_alias(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, "Select exactly one version to point an alias at.", messages.ERROR)
            return None
        form = AliasForm(request.POST if "apply" in request.POST else None)
        if not form.is_bound or not form.is_valid():
            return self._confirm(request, queryset, form, "Set an alias on")
        version = queryset.get()
        self._run(
            request,
            lambda: services.alias_set(actor=request.user, model=version.model, version=version, **form.cleaned_data),
            f"{form.cleaned_data['alias']} now points at {version}.",
        )
        return None

    def _change_stage(self, request, queryset, stage: str):
        form = StageForm(request.POST if "apply" in request.POST else None)
        del form.fields["stage"]  # the action names the stage
        if not form.is_bound or not form.is_valid():
            return self._confirm(request, queryset, form, f"Move to {stage}")
        for version in queryset.select_related("model"):
            self._run(
                request,
                lambda v=version: services.model_version_transition_stage(
                    actor=request.user, version=v, stage=stage, **form.cleaned_data
                ),
                f"{version} is now {stage}.",
            )
        return None

    def _run(self, request, change, success: str) -> None:
        try:
            change()
        except RegistryError as exc:
            self.message_user(request, exc.message, messages.ERROR)
        else:
            self.message_user(request, success, messages.SUCCESS)

    def _confirm(self, request, queryset, form, title: str):
        context = {
            **self.admin_site.each_context(request),
            "title": title,
            "queryset": queryset,
            "form": form,
            "action": request.POST.get("action", ""),
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/registry/modelversion/action_form.html", context)


@admin.register(Alias)
class AliasAdmin(ReadOnlyAdmin):
    list_display = ["model", "name", "version", "updated_at"]
    search_fields = ["model__name", "name"]
    list_select_related = ["model", "version"]

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "actor_name", "action", "model_name", "version", "from_value", "to_value", "comment"]
    list_filter = ["action"]
    search_fields = ["model_name", "actor_name", "comment"]

    def has_delete_permission(self, request, obj=None):
        return False


# Policies and approvals are written through the API and the version page, where the
# rules are validated and self-approval refused: here they are only browsed.
@admin.register(Policy)
class PolicyAdmin(ReadOnlyAdmin):
    list_display = ["model", "target", "rules", "updated_by", "updated_at"]
    search_fields = ["model__name", "target"]
    list_select_related = ["model", "updated_by"]

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Approval)
class ApprovalAdmin(ReadOnlyAdmin):
    list_display = ["version", "target", "approver", "comment", "created_at"]
    search_fields = ["version__model__name", "target", "approver__username"]
    list_select_related = ["version__model", "approver"]

    def has_delete_permission(self, request, obj=None):
        return False
