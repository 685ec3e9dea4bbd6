"""The CRM's HTTP API as a WSGI application: `build_api(engine, region=..., push=..., calls=...)`.

No web framework: the route table (http_api.routes) is matched by hand, pydantic validates what
comes in and serialises what goes out. Every request but the OpenAPI document and the sign-in
(POST /api/session) needs `Authorization: Bearer <token>` or a browser session's cookie, which for
any method but GET and HEAD must come with the session's X-CSRF-Token (http_api.session_routes); the
data layer decides what the user may see.

Each request goes: route (404 / 405) → token or cookie (401; 403 without the CSRF value) → path,
query, body (400 / 413 / 415) → handler, whose
data-layer errors become 404 / 403 / 409 / 422 / 503. Database calls run in gevent's thread pool
(`schema.threadpool.in_thread`), so a slow query holds up only its own request, never the calls the
same process is handling. Tokens and cookies are never logged, and nothing here logs headers.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import hmac
import json
import logging
import re
from collections.abc import Callable, Iterable, Mapping
from http import HTTPStatus
from typing import Final
from wsgiref.types import StartResponse, WSGIEnvironment

from sqlalchemy import Engine
from sqlalchemy import exc as sa_exc

from dialplans.desktop_models import DEFAULT_DISPOSITIONS
from dialplans.recording_models import QaForm
from http_api.agent_routes import AgentChanged, bind_agents
from http_api.campaign_routes import CampaignPlans, bind_campaigns
from http_api.dial_routes import DeskDialer, bind_desk_dialer
from http_api.disposition_routes import DispositionLabels, bind_dispositions
from http_api.live_feed import LiveFeed, StatsStream
from http_api.models import ErrorBody
from http_api.openapi import build_openapi
from http_api.push import EventStream, PushHub
from http_api.recording_routes import CallControl, QaForms, Services, bind_services
from http_api.routes import OPENAPI_PATH, ROUTES
from http_api.routing import (
    ApiError,
    Context,
    RawBody,
    RawJson,
    Result,
    Route,
    Runner,
    WithHeaders,
    parse_body,
    parse_query,
    path_values,
    read_body,
    utc_now,
)
from http_api.session_routes import CSRF_HEADER, SAFE_METHODS, SecureCookie, is_secure, session_cookie
from schema.campaigns.desk import CampaignPlan
from schema.crm.sessions import BrowserSession, session_viewer
from schema.crm.users import authenticate
from schema.errors import NotFound, PermissionDenied, RecordRejected, StorageError, StorageUnavailable
from schema.threadpool import in_thread
from schema.viewer import Viewer

log = logging.getLogger(__name__)

Headers = list[tuple[str, str]]
REALM: Final = 'Bearer realm="callcenter"'
_TOKEN68: Final = re.compile(r"^[A-Za-z0-9._~+/-]{1,256}=*$")  # RFC 6750's b64token
_JSON_HEADERS: Final = (
    ("Content-Type", "application/json"),
    ("Cache-Control", "no-store"),
    ("X-Content-Type-Options", "nosniff"),
)
_STREAM_HEADERS: Final = (
    ("Content-Type", "text/event-stream; charset=utf-8"),
    ("Cache-Control", "no-store"),
    ("X-Accel-Buffering", "no"),  # a proxy in front must not buffer the stream
)


def build_api(
    engine: Engine,
    *,
    region: str,
    push: PushHub | None = None,
    calls: CallControl | None = None,
    qa_forms: Mapping[str, QaForm] | QaForms | None = None,
    campaigns: CampaignPlan | CampaignPlans | None = None,
    stats: LiveFeed | None = None,
    desk: DeskDialer | None = None,
    run: Runner = in_thread,
    secure_cookie: SecureCookie = "auto",
    on_agent_change: AgentChanged | None = None,
    dispositions: Mapping[str, str] | DispositionLabels | None = None,
    clock: Callable[[], dt.datetime] = utc_now,
) -> ApiApp:
    """The WSGI app. `region`: the default region for national phone numbers (the dialplan's
    crm.default_region). Without `push`, GET /api/events answers 503; without `calls` (the switch:
    esl_handlers.supervision.Supervisor), pausing recordings and supervising answer 503. `qa_forms`:
    the dialplan's scoring forms, or a callable returning the current ones (so a reload applies);
    `campaigns` likewise: the dialplan's campaigns and scripts (`CampaignPlan.of(dialplan)`), or a
    callable returning them. Without `stats` (the live statistics' board) /api/stats/* answer 503;
    without `desk` (esl_handlers.desk_calls.DeskCalls) click-to-dial answers 503.
    `run` executes data-layer calls (tests may pass `lambda call: call()`). `secure_cookie`: whether the
    session cookie gets `Secure` ("auto": when the request came over HTTPS). `on_agent_change(agent_id)`:
    called after an agent's state changed through the API, to wake this process's ACD. `dispositions`:
    the dialplan's desktop.dispositions (code -> label), or a callable returning them (the defaults
    without). `clock`: the time routes decide by (calling windows); tests pin it."""
    document = json.dumps(build_openapi(ROUTES), separators=(",", ":")).encode()
    forms: QaForms = qa_forms if callable(qa_forms) else functools.partial(dict, qa_forms or {})
    plans: CampaignPlans = campaigns if callable(campaigns) else _constant(campaigns or CampaignPlan())
    labels: DispositionLabels = (
        dispositions
        if callable(dispositions)
        else functools.partial(dict, dispositions or DEFAULT_DISPOSITIONS)
    )
    routes = bind_services(
        tuple(
            dataclasses.replace(route, handler=lambda _ctx: RawJson(document))
            if route.path == OPENAPI_PATH
            else route
            for route in ROUTES
        ),
        Services(calls, forms),
    )
    bound = bind_dispositions(bind_agents(bind_campaigns(routes, plans), on_agent_change), labels)
    return ApiApp(
        engine,
        region=region,
        push=push,
        run=run,
        routes=bind_desk_dialer(bound, desk),
        stats=stats,
        secure_cookie=secure_cookie,
        clock=clock,
    )


def _constant(plan: CampaignPlan) -> CampaignPlans:
    return lambda: plan


class ApiApp:
    def __init__(
        self,
        engine: Engine,
        *,
        region: str,
        push: PushHub | None,
        run: Runner,
        routes: tuple[Route, ...],
        stats: LiveFeed | None = None,
        secure_cookie: SecureCookie = "auto",
        clock: Callable[[], dt.datetime] = utc_now,
    ) -> None:
        self.engine = engine
        self.region = region
        self.push = push
        self.stats = stats
        self.routes = routes
        self.secure_cookie: SecureCookie = secure_cookie
        self.clock = clock
        self._run = run

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        try:
            status, headers, body = self._respond(environ)
        except ApiError as exc:
            status, headers, body = _error(exc.status, exc.message, exc.headers, exc.problems)
        except Exception:
            log.exception("%s %s failed", environ.get("REQUEST_METHOD"), environ.get("PATH_INFO"))
            status, headers, body = _error(500, "internal error; the server log has the details")
        start_response(f"{status} {HTTPStatus(status).phrase}", headers)
        return body

    def _respond(self, environ: WSGIEnvironment) -> tuple[int, Headers, Iterable[bytes]]:
        method = str(environ.get("REQUEST_METHOD", "GET"))
        route, raw_params = self._route(method, str(environ.get("PATH_INFO", "")))
        viewer, session = (None, None) if route.public else self._authenticate(environ, method)
        if route.json_only and not _is_json(environ):
            raise ApiError(415, "send the body as Content-Type: application/json")
        context = Context(
            engine=self.engine,
            region=self.region,
            viewer=viewer,
            params=path_values(raw_params),
            query=parse_query(route.query, str(environ.get("QUERY_STRING", ""))),
            body=parse_body(route.body, read_body(environ)) if route.body is not None else None,
            push=self.push,
            run=self._run,
            stats=self.stats,
            session=session,
            secure_cookie=is_secure(self.secure_cookie, environ),
            clock=self.clock,
        )
        return _unless_unchanged(environ, _encode(route, _call(route, context)))

    def _route(self, method: str, path: str) -> tuple[Route, dict[str, str]]:
        allowed: list[str] = []
        for route in self.routes:
            params = route.match(path)
            if params is None:
                continue
            if route.method == method:
                return route, params
            allowed.append(route.method)
        if allowed:
            raise ApiError(405, f"{method} is not allowed on {path}", [("Allow", ", ".join(sorted(allowed)))])
        raise ApiError(404, f"no such endpoint: {path} (see {OPENAPI_PATH})")

    def _authenticate(self, environ: WSGIEnvironment, method: str) -> tuple[Viewer, BrowserSession | None]:
        """The viewer, and the browser session when they came by cookie (a Bearer token goes first)."""
        header = str(environ.get("HTTP_AUTHORIZATION", "")).strip()
        if header:
            return self._bearer(header), None
        cookie = session_cookie(environ)
        if cookie is None:
            raise ApiError(
                401,
                "this endpoint needs an Authorization: Bearer <token> header "
                "(or the session cookie of POST /api/session)",
                [("WWW-Authenticate", REALM)],
            )
        session = self._session(cookie)
        if method not in SAFE_METHODS and not hmac.compare_digest(
            str(environ.get(CSRF_HEADER, "")).encode(), session.csrf.encode()
        ):
            raise ApiError(403, "missing or wrong X-CSRF-Token")
        return session.viewer, session

    def _session(self, cookie: str) -> BrowserSession:
        try:
            session: BrowserSession | None = self._run(functools.partial(session_viewer, self.engine, cookie))
        except StorageError as exc:
            raise _storage_error(exc) from exc
        if session is None:
            raise ApiError(
                401,
                "the session has ended (signed out, idle 12 hours, its token revoked or its user "
                "disabled): sign in again with POST /api/session",
                [("WWW-Authenticate", f'{REALM}, error="invalid_token"')],
            )
        return session

    def _bearer(self, header: str) -> Viewer:
        scheme, _, token = header.partition(" ")
        token = token.strip()
        refused = [("WWW-Authenticate", f'{REALM}, error="invalid_token"')]
        if scheme.lower() != "bearer" or not _TOKEN68.fullmatch(token):
            raise ApiError(401, "malformed Authorization header: expected Bearer <token>", refused)
        try:
            viewer: Viewer | None = self._run(functools.partial(authenticate, self.engine, token))
        except StorageError as exc:
            raise _storage_error(exc) from exc
        if viewer is None:
            raise ApiError(401, "unknown or revoked token, or its user is disabled", refused)
        return viewer


def _is_json(environ: WSGIEnvironment) -> bool:
    return str(environ.get("CONTENT_TYPE", "")).split(";")[0].strip().lower() == "application/json"


def _call(route: Route, context: Context) -> Result:
    """The handler's result; the data layer's refusals as HTTP errors."""
    try:
        return route.handler(context)
    except NotFound as exc:
        raise ApiError(404, str(exc) or "not found") from exc
    except PermissionDenied as exc:
        raise ApiError(403, str(exc) or "not allowed") from exc
    except RecordRejected as exc:
        raise ApiError(409 if _conflict(exc) else 422, str(exc)) from exc
    except StorageError as exc:
        raise _storage_error(exc) from exc


def _conflict(exc: BaseException) -> bool:
    """Whether a rejection goes back to a unique or foreign key the database enforced (409, not 422)."""
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, sa_exc.IntegrityError):
            return True
        cause = cause.__cause__
    return False


def _storage_error(exc: StorageError) -> ApiError:
    if isinstance(exc, StorageUnavailable):
        log.warning("database unavailable: %s", exc)
        return ApiError(503, "the database is unavailable; try again shortly", [("Retry-After", "5")])
    log.error("storage error: %s", exc)
    return ApiError(500, "storage error; the server log has the details")


def _encode(route: Route, result: Result) -> tuple[int, Headers, Iterable[bytes]]:
    if isinstance(result, WithHeaders):
        status, headers, chunks = _encode(route, result.result)
        return status, [*headers, *result.headers], chunks
    if isinstance(result, EventStream | StatsStream):
        return 200, list(_STREAM_HEADERS), result
    if isinstance(result, RawJson):
        return 200, _json_headers(result.body), [result.body]
    if isinstance(result, RawBody):
        own = {name.lower() for name, _ in result.headers}
        headers = [
            ("Content-Type", result.content_type),
            ("Content-Length", str(len(result.body))),
            *(header for header in _JSON_HEADERS[1:] if header[0].lower() not in own),
            *result.headers,
        ]
        return result.status, headers, [result.body]
    if result is None:
        return route.status, [("Cache-Control", "no-store")], []
    if route.adapter is None:
        raise TypeError(f"{route.operation_id} returned a body but documents none")
    body = route.adapter.dump_json(result)
    return route.status, _json_headers(body), [body]


def _unless_unchanged(
    environ: WSGIEnvironment, answer: tuple[int, Headers, Iterable[bytes]]
) -> tuple[int, Headers, Iterable[bytes]]:
    """304 without a body when the client's If-None-Match names the answer's ETag (the desk's files)."""
    status, headers, _ = answer
    etag = next((value for name, value in headers if name == "ETag"), None)
    asked = str(environ.get("HTTP_IF_NONE_MATCH", ""))
    if status != 200 or etag is None or etag not in (tag.strip() for tag in asked.split(",")):
        return answer
    kept = [(name, value) for name, value in headers if name in ("ETag", "Cache-Control")]
    return 304, kept, []


def _error(
    status: int, message: str, extra: Iterable[tuple[str, str]] = (), problems: dict[str, str] | None = None
) -> tuple[int, Headers, list[bytes]]:
    body = ErrorBody(error=message, problems=problems).model_dump_json(exclude_none=True).encode()
    return status, [*_json_headers(body), *extra], [body]


def _json_headers(body: bytes) -> Headers:
    return [*_JSON_HEADERS, ("Content-Length", str(len(body)))]
