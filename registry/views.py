"""Web UI pages for the registry (DESIGN §4). Thin: selectors to read, services to write."""

from __future__ import annotations

import contextlib
import functools

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_POST

from lineage import drawing
from lineage import selectors as lineage_selectors
from registry import artifacts, auth, charts, samples, selectors, services
from registry.forms import AliasForm, ApprovalForm, StageForm, UploadForm
from registry.models import AuditAction, Stage
from registry_site import access, inputs
from registry_site.errors import NotFound, RegistryError


def reader(view):
    """Pages need the read role; anonymous visitors go to login unless reads are public."""

    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        if not (access.may_read(request.user, auth.READ) or auth.may(request.user, auth.READ, kwargs.get("name"))):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            raise PermissionDenied("You need the viewers role to read the registry.")
        try:
            return view(request, *args, **kwargs)
        except NotFound as exc:  # the selectors speak the API's language; pages answer 404
            raise Http404(exc.message) from exc

    return wrapped


def _require(request, permission: str, model_name: str | None = None) -> None:
    if not auth.may(request.user, permission, model_name):
        raise PermissionDenied("You are not allowed to do that.")


@reader
def home(request):
    return render(request, "registry/home.html", selectors.home_summary())


@reader
def model_list(request):
    params = request.GET
    stage = params.get("stage", "")
    stage = stage if stage in Stage.values else ""
    models = selectors.model_list(search=params.get("search", ""), tag=params.get("tag", ""), stage=stage)
    page = Paginator(models.select_related("created_by"), 50).get_page(params.get("page"))
    selectors.with_summaries(page.object_list)
    context = {
        "page": page,
        "search": params.get("search", ""),
        "tag": params.get("tag", ""),
        "stage": stage,
        "stages": Stage.values,
    }
    return render(request, "registry/model_list.html", context)


@reader
def model_detail(request, name):
    model = selectors.with_summaries([selectors.model_get(name)])[0]
    versions = Paginator(selectors.version_list(model), 50).get_page(request.GET.get("page"))
    metric_names = sorted({key for v in versions.object_list for key in v.metrics})[:4]
    can_promote = auth.may(request.user, auth.PROMOTE, model.name)
    context = {
        "model": model,
        "versions": versions,
        "metric_names": metric_names,
        "can_promote": can_promote,
        "alias_form": AliasForm(),
        "history": selectors.serving_history(model)[:50],
        "rollbacks": selectors.rollback_targets(model, selectors.serving_targets(model)) if can_promote else [],
    }
    return render(request, "registry/model_detail.html", context)


@reader
def version_detail(request, name, version):
    found = selectors.version_get(name, version)
    base = request.build_absolute_uri("/").rstrip("/")  # the site's root: serving's paths follow
    can_promote = auth.may(request.user, auth.PROMOTE, found.model.name)
    context = {
        "version": found,
        "model": found.model,
        "history": selectors.stage_history(found),
        "can_promote": can_promote,
        "stage_form": StageForm(current=found.stage),
        "alias_form": AliasForm(),
        "curl_pinned": samples.curl_command(base, found, pinned=True),
        "curl_latest": samples.curl_command(base, found, pinned=False),
        "lineage_node": f"model:{found.model.name}:{found.version}",
        "onnx": selectors.onnx_state(found),
        "gates": _gates(found),
        "approvals": selectors.approval_list(found),
        "can_approve": auth.may(request.user, auth.PROMOTE, found.model.name)
        and found.created_by_id != request.user.pk,
    }
    context["drawing"] = drawing.neighbourhood(context["lineage_node"], depth=2)
    # What lineage says the version was trained from, so the list and the graph agree;
    # what the upload declared while lineage has nothing (its record failed).
    inputs = lineage_selectors.model_version_inputs(found.model.name, found.version)
    context["inputs"] = found.inputs if inputs is None else inputs
    context["lineage_params"] = {"node": context["lineage_node"]}  # what the SVG's label names
    return render(request, "registry/version_detail.html", context)


def _gates(version) -> list[dict]:
    """Each target a policy gates, with the checks this version passes or fails there."""
    return [
        {"target": policy.target, "checks": services.promotion_checks(version, policy.target)}
        for policy in selectors.policy_list(version.model)
    ]


def _checks(version, target: str) -> list:
    """What the confirmation shows before its button; a target the service will refuse
    anyway (a malformed alias) has none to show."""
    with contextlib.suppress(RegistryError):
        return services.promotion_checks(version, target)
    return []


@reader
def compare(request, name):
    model = selectors.model_get(name)
    numbers = _version_numbers(request.GET.getlist("v"))
    versions = selectors.versions_by_number(model, numbers)
    only_differences = request.GET.get("diff") == "1"
    context = {
        "model": model,
        "versions": versions,
        "all_versions": list(model.versions.values_list("version", flat=True)[:200]),
        "selected": numbers,
        "only_differences": only_differences,
        "params": charts.side_by_side(versions, "params", only_differences),
        "metrics": charts.side_by_side(versions, "metrics", only_differences),
        "signature": charts.signature_rows(versions, only_differences),
        "metric_charts": charts.metric_charts(versions),
    }
    return render(request, "registry/compare.html", context)


def _version_numbers(texts: list[str]) -> list[int]:
    """The version numbers asked for; anything else (a crafted URL) is left out."""
    numbers = set()
    for text in texts:
        with contextlib.suppress(RegistryError):
            numbers.add(inputs.whole_number(text, name="v", minimum=1))
    return sorted(numbers)


@reader
def audit(request):
    params = request.GET
    entries = selectors.audit_list(
        model=params.get("model", ""), actor=params.get("actor", ""), action=params.get("action", "")
    )
    page = Paginator(entries, 50).get_page(params.get("page"))
    context = {"page": page, "filters": params, "actions": AuditAction.choices}
    return render(request, "registry/audit.html", context)


# --- promotion: every change goes through a confirmation page --------------------------


@require_POST
@reader
def change_stage(request, name, version):
    _require(request, auth.PROMOTE, name)
    found = selectors.version_get(name, version)
    form = StageForm(request.POST, current=found.stage)
    if not form.is_valid() or not form.cleaned_data["stage"]:
        messages.error(request, f"Choose a stage other than {found.stage}.")
        return redirect(_version_url(found))
    data = form.cleaned_data
    if "confirm" not in request.POST:
        holders = found.model.versions.filter(stage=data["stage"]).exclude(pk=found.pk)
        return render(
            request,
            "registry/confirm.html",
            {
                "title": f"Move version {found.version} from {found.stage} to {data['stage']}?",
                "version": found,
                "form": form,
                "action": request.path,
                "archived": list(holders)
                if data["archive_existing"] and data["stage"] in (Stage.STAGING, Stage.PRODUCTION)
                else [],
                "checks": _checks(found, data["stage"]),
            },
        )
    return _apply(
        request,
        found,
        lambda: services.model_version_transition_stage(actor=request.user, version=found, **data),
        f"Version {found.version} is now {data['stage']}.",
    )


@require_POST
@reader
def set_alias(request, name, version):
    _require(request, auth.PROMOTE, name)
    found = selectors.version_get(name, version)
    form = AliasForm(request.POST)
    if not form.is_valid():
        messages.error(request, _problems(form))
        return redirect(_version_url(found))
    if "confirm" not in request.POST:
        return render(
            request,
            "registry/confirm.html",
            {
                "title": f"Point alias {form.cleaned_data['alias']} at version {found.version}?",
                "version": found,
                "form": form,
                "action": request.path,
                "archived": [],
                "checks": _checks(found, form.cleaned_data["alias"]),
            },
        )
    return _apply(
        request,
        found,
        lambda: services.alias_set(actor=request.user, model=found.model, version=found, **form.cleaned_data),
        f"{form.cleaned_data['alias']} now points at version {found.version}.",
    )


@require_POST
@reader
def delete_alias(request, name, alias):
    _require(request, auth.PROMOTE, name)
    model = selectors.model_get(name)
    current = selectors.alias_get(model, alias)
    if "confirm" not in request.POST:
        return render(
            request,
            "registry/confirm.html",
            {
                "title": f"Remove alias {alias} (now on version {current.version.version})?",
                "version": current.version,
                "form": AliasForm(initial={"alias": alias}),
                "action": request.path,
                "archived": [],
            },
        )
    return _apply(
        request,
        current.version,
        lambda: services.alias_delete(
            actor=request.user, model=model, alias=alias, comment=request.POST.get("comment", "")
        ),
        f"Alias {alias} removed.",
    )


@require_POST
@reader
def rollback(request, name):
    _require(request, auth.PROMOTE, name)
    model = selectors.model_get(name)
    target = request.POST.get("target", "")
    try:
        restored = services.serving_rollback(
            actor=request.user, model=model, target=target, comment=request.POST.get("comment", "")
        )
    except RegistryError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"{target.removeprefix('@')} is back on version {restored.version}.")
    return redirect(reverse("registry:model", args=[model.name]))


@require_POST
@reader
def approve(request, name, version):
    _require(request, auth.PROMOTE, name)
    found = selectors.version_get(name, version)
    form = ApprovalForm(request.POST)
    if not form.is_valid():
        messages.error(request, _problems(form))
        return redirect(_version_url(found))
    return _apply(
        request,
        found,
        lambda: services.approval_create(actor=request.user, version=found, **form.cleaned_data),
        f"You approved version {found.version} for {form.cleaned_data['target']}.",
    )


def _problems(form) -> str:
    return "; ".join(f"{field}: {' '.join(errors)}" for field, errors in form.errors.items())


def _apply(request, version, change, success: str):
    try:
        change()
    except RegistryError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, success)
    return redirect(_version_url(version))


def _version_url(version) -> str:
    return reverse("registry:version", args=[version.model.name, version.version])


# --- upload --------------------------------------------------------------------------


@csrf_exempt
def upload(request):
    if request.method != "POST":
        return _upload(request)
    # The upload handler must be set before anything (CSRF included) reads the body.
    with artifacts.receiving(request):
        try:
            return _upload(request)
        except RegistryError as exc:  # raised while the body is read (too large, digest mismatch)
            # The form never got its data, so the error cannot be one of its errors.
            messages.error(request, exc.message)
            return render(request, "registry/upload.html", {"form": UploadForm()}, status=exc.status)


@csrf_protect
@reader
def _upload(request):
    _require(request, auth.UPLOAD)
    form = UploadForm(request.POST or None, request.FILES or None, initial={"name": request.GET.get("model", "")})
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        uploaded = data.pop("file")
        try:
            version = services.model_version_create(
                actor=request.user,
                model_name=data.pop("name"),
                artifact=artifacts.incoming_from_upload(uploaded),
                **data,
            )
        except RegistryError as exc:
            form.add_error("file" if exc.status in (413, 422) else None, exc.message)
        else:
            messages.success(request, f"Registered version {version.version}: the scan found nothing unsafe.")
            return redirect(_version_url(version))
    return render(request, "registry/upload.html", {"form": form}, status=400 if form.errors else 200)
