"""Lineage in the admin: read-only, since every row is derived from the raw events."""

from django.contrib import admin, messages

from lineage import backlog
from lineage.auth import POST
from lineage.models import Dataset, Job, LineageEvent, Namespace, PendingFold, Run


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(LineageEvent)
class LineageEventAdmin(ReadOnly):
    list_display = ["event_time", "kind", "event_type", "run_uuid", "forward_state", "received_at"]
    list_filter = ["kind", "event_type", "forward_state"]
    date_hierarchy = "event_time"


@admin.register(PendingFold)
class PendingFoldAdmin(ReadOnly):
    """Events stored but not yet in the graph: for a moment after their 201, or, with an
    error, set aside because folding them failed (see lineage.backlog)."""

    list_display = ["event", "error"]
    list_select_related = ["event"]
    actions = ["fold_again"]

    def has_fold_permission(self, request):
        return request.user.has_perm(POST)

    @admin.action(permissions=["fold"], description="Fold again")
    def fold_again(self, request, queryset):
        ids = list(queryset.values_list("pk", flat=True))
        folded = backlog.fold_again(ids)
        level = messages.SUCCESS if folded == len(ids) else messages.WARNING
        self.message_user(request, f"{folded} of {len(ids)} events are in the graph now.", level)


@admin.register(Namespace)
class NamespaceAdmin(ReadOnly):
    list_display = ["name", "updated_at"]
    search_fields = ["name"]


@admin.register(Job)
class JobAdmin(ReadOnly):
    list_display = ["name", "namespace", "updated_at"]
    search_fields = ["name", "namespace__name"]
    list_select_related = ["namespace"]


@admin.register(Dataset)
class DatasetAdmin(ReadOnly):
    list_display = ["name", "namespace", "type", "updated_at"]
    list_filter = ["type"]
    search_fields = ["name", "namespace__name"]
    list_select_related = ["namespace"]


@admin.register(Run)
class RunAdmin(ReadOnly):
    list_display = ["uuid", "job", "state", "started_at", "ended_at"]
    list_filter = ["state"]
    search_fields = ["uuid", "job__name"]
    list_select_related = ["job__namespace"]
