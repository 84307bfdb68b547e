"""The artifact proxy, `/api/2.0/mlflow-artifacts/artifacts/<path>`: the client PUTs
run and logged-model files here one by one, lists folders and downloads files.

`registry/<name>/<version>/` is the read-only folder of a registered version, served
from inside its stored artifact (see `published`); everything else is the MLflow
folder tree of `store`. Both stream: no file is held in memory whole.
"""

from __future__ import annotations

from django.http import FileResponse, JsonResponse

from mlflow_compat import published, store
from mlflow_compat.http import Call, by_method, endpoint
from registry.auth import UPLOAD
from registry.services import require
from registry_site.errors import InvalidParameter


@endpoint("GET")
def listing(call: Call) -> dict:
    """`?path=<folder>`: `{"files": [{path, is_dir, file_size}]}`, `{}` when empty."""
    path = store.clean_path(call.get("path", ""), allow_root=True)
    if published.is_published(path):
        files = published.listing(path)
    else:
        files = store.listing(path)
        if not path:
            files.insert(0, {"path": published.PREFIX, "is_dir": True})
    return {"files": files} if files else {}


@endpoint("GET")
def download(call: Call, path: str) -> FileResponse:
    path = store.clean_path(path)
    if published.is_published(path):
        stream, size = published.open_member(path)
    else:
        stream = store.open_file(path)
        size = None
    response = FileResponse(stream, content_type="application/octet-stream")
    if size is not None:
        response["Content-Length"] = str(size)
    return response


@endpoint("PUT", raw_body=True)
def upload(call: Call, path: str) -> dict:
    require(call.user, UPLOAD)
    store.save(_writable(path), call.request)
    return {}


@endpoint("DELETE", raw_body=True)
def delete(call: Call, path: str) -> dict:
    require(call.user, UPLOAD)
    store.delete(_writable(path))
    return {}


def _writable(raw: str) -> str:
    path = store.clean_path(raw)
    if published.is_published(path):
        raise InvalidParameter(f"{published.PREFIX}/ holds registered versions, which never change: it is read-only")
    return path


artifact = by_method(GET=download, PUT=upload, DELETE=delete)


def server_info(request) -> JsonResponse:
    """What the client asks before artifact transfers. Public, as on an MLflow server:
    it says nothing but which optional protocols are off."""
    return JsonResponse(
        {
            "store_type": None,
            "workspaces_enabled": False,
            "trace_archival_enabled": False,
            "multipart_uploads_enabled": False,
            "multipart_downloads_enabled": False,
        }
    )
