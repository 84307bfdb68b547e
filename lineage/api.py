"""Marquez-compatible lineage API (DESIGN §3.3). Thin: parse, call a service or a
selector, render Marquez's shapes. Namespaces with `/` or `:` work URL-encoded in the
path, and every listing also takes them as a query parameter."""

from __future__ import annotations

from datetime import UTC, datetime

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.authentication import SessionAuthentication
from rest_framework.permissions import SAFE_METHODS
from rest_framework.response import Response
from rest_framework.views import APIView

from lineage import backlog, graph, selectors, services, shapes, wire
from lineage.auth import LineageAccess
from registry_site import inputs
from registry_site.access import CachedCredentials

# --- Marquez's shapes as the schema documents them (lineage.shapes renders them) ----------
# Fields whose value comes from a producer's facet (description, location...) are any JSON:
# events are kept as sent, so the server cannot promise their type.


def _any() -> serializers.Field:
    return serializers.JSONField(allow_null=True)


def _objects() -> serializers.Field:
    return serializers.ListField(child=serializers.DictField())


class NodeId(serializers.Serializer):
    namespace = serializers.CharField()
    name = serializers.CharField()


class Namespace(serializers.Serializer):
    name = serializers.CharField()
    createdAt = serializers.DateTimeField()
    updatedAt = serializers.DateTimeField()
    ownerName = serializers.CharField()
    description = serializers.CharField(allow_null=True)
    isHidden = serializers.BooleanField()


class Run(serializers.Serializer):
    id = serializers.CharField()
    createdAt = serializers.DateTimeField()
    updatedAt = serializers.DateTimeField()
    nominalStartTime = _any()
    nominalEndTime = _any()
    state = serializers.CharField()
    startedAt = serializers.DateTimeField(allow_null=True)
    endedAt = serializers.DateTimeField(allow_null=True)
    durationMs = serializers.IntegerField(allow_null=True)
    args = serializers.DictField()
    jobVersion = _any()
    facets = serializers.DictField()


class RunDetail(Run):
    inputDatasetVersions = _objects()
    outputDatasetVersions = _objects()


class Dataset(serializers.Serializer):
    id = NodeId()
    type = serializers.CharField()
    name = serializers.CharField()
    physicalName = serializers.CharField()
    namespace = serializers.CharField()
    createdAt = serializers.DateTimeField()
    updatedAt = serializers.DateTimeField()
    sourceName = _any()
    fields = _objects()
    tags = serializers.ListField()
    description = _any()
    lastModifiedAt = serializers.DateTimeField(allow_null=True)
    lastLifecycleState = _any()
    currentVersion = serializers.CharField(allow_null=True)
    columnLineage = _any()
    facets = serializers.DictField()
    isDeleted = serializers.BooleanField()


class Job(serializers.Serializer):
    id = NodeId()
    type = serializers.CharField()
    name = serializers.CharField()
    simpleName = serializers.CharField()
    namespace = serializers.CharField()
    parentJobName = _any()
    parentJobUuid = _any()
    currentRunUuid = serializers.CharField(allow_null=True)
    createdAt = serializers.DateTimeField()
    updatedAt = serializers.DateTimeField()
    location = _any()
    description = _any()
    inputs = NodeId(many=True)
    outputs = NodeId(many=True)
    latestRun = Run(allow_null=True)
    latestRuns = Run(many=True)
    facets = serializers.DictField()
    currentVersion = _any()
    tags = serializers.ListField()


class Edge(serializers.Serializer):
    origin = serializers.CharField()
    destination = serializers.CharField()


class LineageNode(serializers.Serializer):
    id = serializers.CharField()
    type = serializers.ChoiceField(choices=["DATASET", "MODEL", "JOB"])
    data = serializers.DictField(help_text="the dataset or job, as listed (without facets)")
    inEdges = Edge(many=True)
    outEdges = Edge(many=True)


class LineageGraph(serializers.Serializer):
    graph = LineageNode(many=True)
    truncated = serializers.BooleanField(required=False, help_text="present (true) when the node limit cut the graph")


class SearchResult(serializers.Serializer):
    type = serializers.ChoiceField(choices=["DATASET", "JOB"])
    name = serializers.CharField()
    namespace = serializers.CharField()
    updatedAt = serializers.DateTimeField()
    nodeId = serializers.CharField()


def _total() -> serializers.Field:
    return serializers.IntegerField(help_text="how many match in all, beyond this page")


class NamespaceList(serializers.Serializer):
    namespaces = Namespace(many=True)


class JobList(serializers.Serializer):
    jobs = Job(many=True)
    totalCount = _total()


class DatasetList(serializers.Serializer):
    datasets = Dataset(many=True)
    totalCount = _total()


class EventList(serializers.Serializer):
    events = serializers.ListField(child=serializers.DictField(), help_text="the OpenLineage events as received")
    totalCount = _total()


class SearchResults(serializers.Serializer):
    totalCount = serializers.IntegerField()
    results = SearchResult(many=True)


class LineageView(APIView):
    """Producers post an event per task: their credentials are checked once and then
    remembered briefly (registry_site.access), not looked up on every event."""

    authentication_classes = [CachedCredentials, SessionAuthentication]
    permission_classes = [LineageAccess]

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if request.method in SAFE_METHODS:  # a reader sees every event stored before it asked
            backlog.catch_up()


@extend_schema_field({"type": "string", "example": "2024-05-01T12:00:00Z"})
class FlexibleDateTime(serializers.Field):
    """ISO-8601, a bare date, and `+00:00` whose `+` a query string turned into a space."""

    def to_internal_value(self, data):
        text = str(data).strip()
        if len(text) > 6 and text[-6] == " ":
            text = f"{text[:-6]}+{text[-5:]}"
        try:
            moment = datetime.fromisoformat(text)
            # In UTC, as the database compares it: year 1 at +14:00 falls before year 1.
            return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
        except ValueError:
            raise serializers.ValidationError("must be an ISO-8601 date-time such as 2024-05-01T12:00:00Z") from None
        except OverflowError:
            raise serializers.ValidationError("is out of range once in UTC (years 1 to 9999)") from None


class PageIn(serializers.Serializer):
    limit = serializers.IntegerField(min_value=1, max_value=1000, default=100)
    offset = serializers.IntegerField(min_value=0, max_value=inputs.INT64_MAX, default=0)  # the database's OFFSET
    namespace = serializers.CharField(required=False)


def _query(serializer_class, request) -> dict:
    serializer = serializer_class(data=request.query_params)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


class LineageApi(LineageView):
    """`POST`: ingest one OpenLineage event. `GET`: the graph around a node."""

    parser_classes = []  # the body is read by lineage.wire: gzip and a size limit

    class GraphIn(serializers.Serializer):
        nodeId = serializers.CharField()  # noqa: N815 (Marquez's parameter name)
        depth = serializers.IntegerField(min_value=0, max_value=graph.MAX_DEPTH, default=graph.DEFAULT_DEPTH)
        direction = serializers.ChoiceField(choices=graph.DIRECTIONS, default="both")

    @extend_schema(
        request={"application/json": OpenApiTypes.OBJECT},
        responses={201: None},
        description=(
            "One OpenLineage RunEvent, DatasetEvent or JobEvent (told apart by the end of schemaURL), "
            "optionally with Content-Encoding: gzip. 201 with an empty body; 400 naming the field for an "
            "event that cannot be read; 413 past LINEAGE_MAX_EVENT_BYTES (default 8 MiB, after decompression). "
            "Re-sending the same event stores it once."
        ),
    )
    def post(self, request):
        document, size = wire.read_event(request)
        services.lineage_event_record(actor=request.user, document=document, size_bytes=size)
        return Response(status=status.HTTP_201_CREATED)

    @extend_schema(
        parameters=[GraphIn],
        responses=LineageGraph,
        description=(
            "Marquez's {graph: [...]} around nodeId (dataset:<ns>:<name>, job:<ns>:<name>, model:<name>:<version>). "
            "Directed: upstream and downstream of the node, not everything sharing a dataset. depth counts edges "
            f"(default {graph.DEFAULT_DEPTH}); at most {graph.MAX_NODES} nodes, nearest first ('truncated': true)."
        ),
    )
    def get(self, request):
        params = _query(self.GraphIn, request)
        found = graph.lineage_graph(params["nodeId"], depth=params["depth"], direction=params["direction"])
        by_job = [pk for pk in found.jobs if pk not in found.run_io]  # a producing run lists its own
        return Response(shapes.graph_json(found, selectors.job_io(by_job)))


class NamespacesApi(LineageView):
    """Every namespace, by name."""

    @extend_schema(parameters=[PageIn], responses=NamespaceList)
    def get(self, request):
        page = _query(PageIn, request)
        namespaces = selectors.namespace_list(limit=page["limit"], offset=page["offset"])
        return Response({"namespaces": [shapes.namespace_json(ns) for ns in namespaces]})


class JobsApi(LineageView):
    """`/namespaces/<ns>/jobs`, or `/jobs?namespace=` (every namespace without it)."""

    @extend_schema(parameters=[PageIn], responses=JobList)
    def get(self, request, namespace: str | None = None):
        page = _query(PageIn, request)
        jobs, total = selectors.job_list(namespace=namespace or page.pop("namespace", None), **_slice(page))
        io = selectors.job_io([job.pk for job in jobs])
        return Response({"jobs": [shapes.job_json(job, io.get(job.pk, {})) for job in jobs], "totalCount": total})


class DatasetsApi(LineageView):
    """`/namespaces/<ns>/datasets`, or `/datasets?namespace=` (every namespace without it)."""

    @extend_schema(parameters=[PageIn], responses=DatasetList)
    def get(self, request, namespace: str | None = None):
        page = _query(PageIn, request)
        datasets, total = selectors.dataset_list(namespace=namespace or page.pop("namespace", None), **_slice(page))
        return Response({"datasets": [shapes.dataset_json(d) for d in datasets], "totalCount": total})


def _slice(page: dict) -> dict:
    return {"limit": page["limit"], "offset": page["offset"]}


class RunApi(LineageView):
    """One run, with the dataset versions it read and wrote."""

    @extend_schema(responses=RunDetail)
    def get(self, request, run_id: str):
        run = selectors.run_get(run_id)
        return Response(shapes.run_json(run, selectors.run_io(run)))


class EventsApi(LineageView):
    """Raw events as received, newest first; `totalCount` counts the whole selection."""

    class EventsIn(PageIn):
        before = FlexibleDateTime(required=False)
        after = FlexibleDateTime(required=False)
        sortDirection = serializers.ChoiceField(choices=["desc", "asc"], default="desc")  # noqa: N815

    @extend_schema(parameters=[EventsIn], responses=EventList)
    def get(self, request):
        params = _query(self.EventsIn, request)
        events, total = selectors.event_list(
            before=params.get("before") or datetime.max.replace(tzinfo=UTC),
            after=params.get("after") or datetime.min.replace(tzinfo=UTC),
            ascending=params["sortDirection"] == "asc",
            **_slice(params),
        )
        return Response({"events": events, "totalCount": total})


class SearchApi(LineageView):
    """Datasets and jobs whose name or namespace contains `q` (Marquez's /search)."""

    class SearchIn(serializers.Serializer):
        q = serializers.CharField(max_length=1024)
        limit = serializers.IntegerField(min_value=1, max_value=1000, default=10)

    @extend_schema(parameters=[SearchIn], responses=SearchResults)
    def get(self, request):
        params = _query(self.SearchIn, request)
        results = [shapes.search_result_json(found) for found in selectors.search(params["q"], limit=params["limit"])]
        return Response({"totalCount": len(results), "results": results})
