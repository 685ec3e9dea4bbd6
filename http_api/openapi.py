"""The OpenAPI 3.1 document, built from the route table and the pydantic models' JSON Schemas.

Nothing here is written by hand per route: paths, parameters, bodies and responses all come from
`http_api.routes.ROUTES`, so the document cannot drift from what the server does. Component schemas
are named after the models (CustomerView, ScreenPop, ...) and are exactly pydantic's JSON Schema
of each (JSON Schema 2020-12, which OpenAPI 3.1 uses as is).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final, Literal

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from http_api.models import MAX_DATABASE_ID, ErrorBody
from http_api.routing import MAX_BODY_BYTES, Route, is_integer_parameter

REF: Final = "#/components/schemas/{model}"
Refs = dict[type[BaseModel], dict[str, str]]
SECURITY_SCHEME: Final = "bearerAuth"
COOKIE_SCHEME: Final = "cookieAuth"
ERROR_MEANINGS: Final = {
    400: "A path, query or body parameter is wrong (the message names it), or the body is not JSON.",
    401: "No token, a malformed one, or one that is unknown, revoked, or whose user is disabled.",
    403: "The token's role may not do this, or a request signed in by the session cookie lacks its "
    "X-CSRF-Token (every method but GET and HEAD needs it).",
    404: "No such record, or none the token's user may see.",
    409: (
        "The record exists already, or the call is not in a state for this (no live call, no running "
        "recording, the supervisor's phone did not answer), or a campaign's lifecycle refuses the step."
    ),
    408: "The body did not arrive within the server's deadline (30 s by default).",
    413: f"The body is over {MAX_BODY_BYTES} bytes.",
    415: "The body must be sent as application/json.",
    422: "The data layer refused the record (the message says why; a refused form's `problems` say what is "
    "wrong with each field).",
    503: (
        "The database or the switch is unavailable (retry after Retry-After seconds), or this server "
        "pushes no events or has no call control."
    ),
}


def build_openapi(
    routes: Sequence[Route], *, title: str = "callcenter CRM API", version: str = "1"
) -> dict[str, Any]:
    routes = [route for route in routes if route.documented]
    refs, schemas = _component_schemas(routes)
    paths: dict[str, dict[str, Any]] = {}
    for route in routes:
        paths.setdefault(route.path, {})[route.method.lower()] = _operation(route, refs, schemas)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": title,
            "version": version,
            "description": "Customers, calls, tickets, notes and screen pops of the call center's CRM. "
            "Every endpoint but this document and POST /api/session needs `Authorization: Bearer <token>` "
            "(`callcenter token issue NAME`) or the browser's session cookie (from POST /api/session; "
            'then X-CSRF-Token on every method but GET and HEAD). Errors are `{"error": "..."}`.',
        },
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                SECURITY_SCHEME: {"type": "http", "scheme": "bearer", "description": "A token from the CLI."},
                COOKIE_SCHEME: {
                    "type": "apiKey",
                    "in": "cookie",
                    "name": "cc_session",
                    "description": "A browser session from POST /api/session (X-CSRF-Token for writes).",
                },
            },
        },
        "security": [{SECURITY_SCHEME: []}, {COOKIE_SCHEME: []}],
    }


def error_statuses(route: Route) -> list[int]:
    """The error statuses a route may answer with, besides 500."""
    statuses = set(route.errors)
    if route.parameters or route.query is not None or route.body is not None:
        statuses.add(400)
    if not route.public:
        statuses.update((401, 503))
        if route.method not in ("GET", "HEAD"):
            statuses.add(403)  # a session cookie without its X-CSRF-Token
    if route.parameters:
        statuses.add(404)
    if route.body is not None:
        statuses.update((408, 413))
    return sorted(statuses)


def _component_schemas(routes: Sequence[Route]) -> tuple[Refs, dict[str, Any]]:
    """Each model's `$ref`, and the component schemas they point to."""
    wanted: dict[type[BaseModel], Literal["validation", "serialization"]] = {ErrorBody: "serialization"}
    for route in routes:
        if route.response is not None:
            wanted[route.response] = "serialization"
        if route.body is not None:
            wanted[route.body] = "validation"
    key_map, top = models_json_schema(list(wanted.items()), ref_template=REF)
    refs = {model: dict(key_map[(model, mode)]) for model, mode in wanted.items()}
    return refs, dict(sorted(top.get("$defs", {}).items()))


def _operation(route: Route, refs: Refs, schemas: dict[str, Any]) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "operationId": route.operation_id,
        "summary": route.summary,
        "tags": [route.path.split("/")[2]],
        "responses": _responses(route, refs),
    }
    if route.description:
        operation["description"] = route.description
    parameters = [_path_parameter(name) for name in route.parameters]
    if route.query is not None:
        parameters.extend(_query_parameters(route.query, schemas))
    if parameters:
        operation["parameters"] = parameters
    if route.body is not None:
        operation["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": refs[route.body]}},
        }
    if route.public:
        operation["security"] = []
    return operation


def _responses(route: Route, refs: Refs) -> dict[str, Any]:
    responses: dict[str, Any] = {}
    if route.stream:
        responses["200"] = {
            "description": "A stream of server-sent events.",
            "content": {"text/event-stream": {"schema": {"type": "string"}}},
        }
    elif route.public and route.response is None:
        responses["200"] = {
            "description": "This OpenAPI 3.1 document.",
            "content": {"application/json": {"schema": {"type": "object"}}},
        }
    elif route.media:
        responses["200"] = {
            "description": route.summary,
            "content": {media: {"schema": {"type": "string"}} for media in route.media},
        }
    elif route.response is None:
        responses[str(route.status)] = {"description": "Done; no body."}
    else:
        model = refs[route.response]
        schema = {"type": "array", "items": model} if route.many else model
        responses[str(route.status)] = {
            "description": route.summary,
            "content": {"application/json": {"schema": schema}},
        }
    for status in error_statuses(route):
        responses[str(status)] = {
            "description": ERROR_MEANINGS[status],
            "content": {"application/json": {"schema": refs[ErrorBody]}},
        }
    return responses


def _path_parameter(name: str) -> dict[str, Any]:
    if is_integer_parameter(name):
        schema: dict[str, Any] = {"type": "integer", "minimum": 1, "maximum": MAX_DATABASE_ID}
    else:
        schema = {"type": "string", "pattern": "^[A-Za-z0-9._:-]{1,64}$"}
    return {"name": name, "in": "path", "required": True, "schema": schema}


def _query_parameters(model: type[BaseModel], schemas: dict[str, Any]) -> list[dict[str, Any]]:
    model_schema = model.model_json_schema(ref_template=REF)
    schemas.update(model_schema.get("$defs", {}))
    required = set(model_schema.get("required", ()))
    parameters = []
    for name, field_schema in model_schema["properties"].items():
        schema = dict(field_schema)
        description = schema.pop("description", None)
        schema.pop("title", None)
        parameter: dict[str, Any] = {
            "name": name,
            "in": "query",
            "required": name in required,
            "schema": schema,
        }
        if description:
            parameter["description"] = description
        parameters.append(parameter)
    return parameters
