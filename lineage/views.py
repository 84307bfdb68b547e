"""Lineage pages: the graph explorer and one page per dataset and job. Server-rendered:
the graph is an SVG drawn from a layout computed in Python; a small script of our own
(lineage-view.js) only adds pan and zoom."""

from __future__ import annotations

import json
from functools import wraps

from django import forms
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_GET

from lineage import backlog, drawing, graph, selectors
from lineage.auth import READ
from lineage.drawing import graph_href, node_href
from lineage.models import Job
from registry_site import access
from registry_site.errors import InvalidParameter, NotFound

PAGE_DEFAULTS = {"node": "", "depth": 4, "direction": "both", "q": ""}
PAGE_MAX_DEPTH = 20


def reader_only(view):
    """Lineage readers only: anonymous people are sent to log in, others refused.
    Readers see every event stored before they asked (lineage.backlog)."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if access.may_read(request.user, READ):
            backlog.catch_up()
            return view(request, *args, **kwargs)
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        raise PermissionDenied("Reading lineage needs the viewers role.")

    return wrapper


class GraphForm(forms.Form):
    node = forms.CharField(required=False, max_length=4200)
    depth = forms.IntegerField(required=False, min_value=1, max_value=PAGE_MAX_DEPTH)
    direction = forms.ChoiceField(required=False, choices=[(d, d) for d in graph.DIRECTIONS])
    q = forms.CharField(required=False, max_length=200)


@require_GET
@reader_only
def graph_page(request):
    form = GraphForm(request.GET)
    form.is_valid()  # a bad value falls back to its default
    params = {**PAGE_DEFAULTS, **{k: v for k, v in form.cleaned_data.items() if v}}
    context = {"params": params, "depths": range(1, PAGE_MAX_DEPTH + 1), "directions": graph.DIRECTIONS}
    if params["q"]:
        context["results"] = [_listed(found) for found in selectors.search(params["q"], limit=50)]
    status = 200
    if params["node"]:
        status = _add_drawing(context, params)
    elif not params["q"]:
        context["recent"] = [_listed(found) for found in selectors.recently_updated(limit=20)]
    return render(request, "lineage/graph.html", context, status=status)


def _add_drawing(context: dict, params: dict) -> int:
    try:
        found = graph.lineage_graph(params["node"], depth=params["depth"], direction=params["direction"])
    except NotFound as exc:
        context["problem"] = exc.message
        return 404
    except InvalidParameter as exc:
        context["problem"] = exc.message
        return 400
    context["drawing"] = drawing.draw(found)
    return 200


def _listed(node) -> dict:
    kind = "job" if isinstance(node, Job) else ("model" if node.is_model else "dataset")
    return {"node": node, "kind": kind, "graph_href": graph_href(node), "href": node_href(node)}


@require_GET
@reader_only
def dataset_page(request):
    dataset = _found(selectors.dataset_get, request)
    jobs = selectors.dataset_jobs(dataset)
    context = {
        "dataset": dataset,
        "graph_href": graph_href(dataset),
        "producers": [_listed(job) for job in jobs["out"]],
        "consumers": [_listed(job) for job in jobs["in"]],
        "versions": selectors.dataset_versions(dataset),
        "column_lineage": selectors.column_lineage(dataset),
        "facets": _pretty(dataset.facets),
    }
    return render(request, "lineage/dataset.html", context)


@require_GET
@reader_only
def job_page(request):
    job = _found(selectors.job_get, request)
    datasets = selectors.job_datasets(job)
    context = {
        "job": job,
        "graph_href": graph_href(job),
        "inputs": [_listed(d) for d in datasets["in"]],
        "outputs": [_listed(d) for d in datasets["out"]],
        "runs": selectors.job_runs(job),
        "facets": _pretty(job.facets),
    }
    return render(request, "lineage/job.html", context)


def _found(getter, request):
    namespace, name = request.GET.get("namespace", ""), request.GET.get("name", "")
    try:
        return getter(namespace, name)
    except NotFound as exc:
        raise Http404(exc.message) from None


def _pretty(facets: dict) -> list[tuple[str, str]]:
    return [(name, json.dumps(value, indent=2, sort_keys=True)) for name, value in sorted(facets.items())]
