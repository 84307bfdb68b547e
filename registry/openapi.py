"""What the OpenAPI schema (drf-spectacular, /api/schema/) cannot find out by itself:
the credentials each API accepts, and the one shape of every error. Imported by
RegistryConfig.ready(), which registers the extensions."""

from __future__ import annotations

from drf_spectacular.extensions import OpenApiAuthenticationExtension

ERROR_COMPONENT = "Error"
ERROR_SCHEMA = {
    "type": "object",
    "description": "Every error, from any status: the code names the kind, the message the problem.",
    "properties": {
        "error_code": {"type": "string", "example": "INVALID_PARAMETER_VALUE"},
        "message": {"type": "string", "example": "stage must be one of None, Staging, Production, Archived"},
    },
    "required": ["error_code", "message"],
}


class BearerTokenScheme(OpenApiAuthenticationExtension):
    """The same API token as `Token <key>`, sent as `Bearer <key>` (MLflow and OpenLineage
    clients); without this both would be documented under one name, `tokenAuth`."""

    target_class = "registry_site.access.BearerTokenAuthentication"
    name = "bearerAuth"
    priority = 1

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer"}


class BasicScheme(OpenApiAuthenticationExtension):
    """HTTP Basic, also from subclasses of DRF's class (drf-spectacular's own extension
    matches that class only), so that `basicAuth` is always defined for the scheme below."""

    target_class = "rest_framework.authentication.BasicAuthentication"
    match_subclasses = True
    name = "basicAuth"
    priority = 1

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "basic"}


class CachedCredentialsScheme(OpenApiAuthenticationExtension):
    """Any one of a Token, Bearer or Basic header (registry_site.access). The three schemes
    are defined by the native API's own authentication classes, in the same schema."""

    target_class = "registry_site.access.CachedCredentials"
    name: list[str] = []

    def get_security_requirement(self, auto_schema):
        return [{"tokenAuth": []}, {"bearerAuth": []}, {"basicAuth": []}]

    def get_security_definition(self, auto_schema):
        return []


def document_errors(result, generator, request, public):
    """drf-spectacular post-processing hook: every operation may also answer an error, whose
    body is always `{"error_code", "message"}` (registry_site.errors)."""
    result.setdefault("components", {}).setdefault("schemas", {})[ERROR_COMPONENT] = ERROR_SCHEMA
    error = {
        "description": "An error (4xx: the request's; 5xx: the server's).",
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{ERROR_COMPONENT}"}}},
    }
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            operation.setdefault("responses", {}).setdefault("default", error)
    return result
