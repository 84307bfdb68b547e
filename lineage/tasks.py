"""Lineage's background tasks (registry_site.background): folding stored events into the
graph, and forwarding them to OPENLINEAGE_URL. Both take no arguments: each run works
through everything waiting, so one run serves the events of many requests."""

from __future__ import annotations

from django_tasks import task

from lineage import backlog, forwarding


@task()
def fold_events() -> int:
    return backlog.fold_waiting()


@task()
def forward_events() -> int:
    return forwarding.forward_new()
