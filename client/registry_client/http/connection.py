"""One HTTP session per adapter: the server's base URL, its token, and its errors turned
into RegistryClientError carrying the server's own message."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import requests

DEFAULT_TIMEOUT = 60.0


class RegistryClientError(Exception):
    """The server refused (status and its `error_code`/`message`), or could not be reached
    (status None)."""

    def __init__(self, message: str, *, status: int | None = None, error_code: str = "") -> None:
        super().__init__(message)
        self.message, self.status, self.error_code = message, status, error_code

    def __str__(self) -> str:
        return f"{self.message} (HTTP {self.status})" if self.status else self.message


class ArtifactIntegrityError(RegistryClientError):
    """Downloaded bytes differ from the sha256 the registry recorded: never loaded."""


def segment(value: object) -> str:
    """A path segment: names and references may hold characters a URL gives meaning to."""
    return quote(str(value), safe="")


class Connection:
    def __init__(self, url: str, token: str | None = None, *, timeout: float = DEFAULT_TIMEOUT) -> None:
        self.url, self.timeout = url.rstrip("/"), timeout
        self.session = requests.Session()
        if token:
            self.session.headers["Authorization"] = f"Token {token}"

    def send(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        """The response to `method path`; raises RegistryClientError for a 4xx/5xx."""
        kwargs.setdefault("timeout", self.timeout)
        try:
            response = self.session.request(method, self.url + path, **kwargs)
        except requests.ConnectionError as exc:
            raise RegistryClientError(f"cannot reach {self.url}: {_reason(exc)}") from None
        if response.status_code >= 400:
            raise error_from(response)
        return response

    def json(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self.send(method, path, **kwargs)
        return response.json() if response.content else {}


def error_from(response: requests.Response) -> RegistryClientError:
    try:
        body = response.json()
    except ValueError:  # a proxy's HTML page, say: its first line is the best we have
        body = {"message": response.text.strip().splitlines()[0][:200] if response.text.strip() else response.reason}
    if not isinstance(body, dict):
        body = {"message": str(body)[:200]}
    message = body.get("message") or body.get("detail") or response.reason
    return RegistryClientError(str(message), status=response.status_code, error_code=str(body.get("error_code", "")))


def _reason(exc: BaseException) -> str:
    # requests wraps urllib3's error, which wraps the socket's: that last one says why.
    while exc.__context__ is not None:
        exc = exc.__context__
    return str(exc)
