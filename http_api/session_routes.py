"""Browser sessions (docs/api.md, "Browser sessions"): sign in with a token, get a cookie.

`POST /api/session {"token": ...}` opens a session (schema.crm.sessions) and sets the `cc_session`
cookie: HttpOnly (page scripts never see it), SameSite=Strict (no other site's page sends it), Path=/,
Max-Age 12 h, and Secure when the request came over HTTPS (`secure_cookie`: "auto", "on", "off").
Every route then takes the cookie where it takes a Bearer token; a cookie request whose method is not
GET or HEAD must also carry the session's CSRF value in `X-CSRF-Token` (app.ApiApp checks it).
`GET /api/session` says who the session is and gives the CSRF value (and renews the cookie's
lifetime); `DELETE /api/session` deletes the session and the cookie.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any, Final, Literal

from pydantic import Field

from http_api.models import ApiModel, Me
from http_api.routing import ApiError, Context, Result, Route, WithHeaders
from schema.crm.sessions import IDLE_LIMIT, BrowserSession, close_session, open_session
from schema.crm.users import TOKEN_MAX_LENGTH
from schema.viewer import Viewer

COOKIE_NAME: Final = "cc_session"
CSRF_HEADER: Final = "HTTP_X_CSRF_TOKEN"  # X-CSRF-Token, as WSGI names it
SAFE_METHODS: Final = frozenset({"GET", "HEAD"})
SecureCookie = Literal["auto", "on", "off"]
SECURE_COOKIE_CHOICES: Final = ("auto", "on", "off")
REFUSED_SIGN_IN: Final = "unknown or revoked token, or its user is disabled"


class SessionIn(ApiModel):
    token: str = Field(min_length=1, max_length=TOKEN_MAX_LENGTH, description="An API token (cc_...).")


class Session(Me):
    """Who the session (or the Bearer token) is, and the CSRF value to send as X-CSRF-Token."""

    csrf: str | None = Field(
        description="The value of X-CSRF-Token for every method but GET and HEAD; null for a Bearer token "
        "(which needs none)."
    )


def session_cookie(environ: Mapping[str, Any]) -> str | None:
    """The `cc_session` value of the request's Cookie header, if any (the first, if repeated)."""
    for part in str(environ.get("HTTP_COOKIE", "")).split(";"):
        name, _, value = part.strip().partition("=")
        if name == COOKIE_NAME and value:
            return value.strip('"')
    return None


def is_secure(mode: SecureCookie, environ: Mapping[str, Any]) -> bool:
    """Whether a cookie set in answer to this request gets `Secure`: "auto" when the request came
    over HTTPS, to this server or to a proxy that says so in X-Forwarded-Proto."""
    if mode != "auto":
        return mode == "on"
    forwarded = str(environ.get("HTTP_X_FORWARDED_PROTO", "")).split(",")[0].strip().lower()
    return environ.get("wsgi.url_scheme") == "https" or forwarded == "https"


def set_cookie(value: str, *, secure: bool, max_age: int = int(IDLE_LIMIT.total_seconds())) -> str:
    attributes = f"{COOKIE_NAME}={value}; HttpOnly; SameSite=Strict; Path=/; Max-Age={max_age}"
    return attributes + ("; Secure" if secure else "")


def _session_body(viewer: Viewer, csrf: str | None) -> Session:
    if viewer.role == "system":  # never handed out as a token; refuse rather than guess
        raise ApiError(403, "the system viewer has no API identity")
    return Session(
        user=viewer.user,
        role=viewer.role,
        agent_id=viewer.agent_id,
        department=viewer.department,
        extension=viewer.extension,
        csrf=csrf,
    )


def _answer(session: BrowserSession, secure: bool) -> WithHeaders:
    body = _session_body(session.viewer, session.csrf)
    return WithHeaders(body, (("Set-Cookie", set_cookie(session.cookie, secure=secure)),))


def sign_in(ctx: Context) -> Result:
    token = ctx.body_as(SessionIn).token
    session = ctx.run(functools.partial(open_session, ctx.engine, token))
    if session is None:
        raise ApiError(401, REFUSED_SIGN_IN)
    return _answer(session, ctx.secure_cookie)


def who_is_signed_in(ctx: Context) -> Result:
    if ctx.session is None:
        return _session_body(ctx.who, None)
    return _answer(ctx.session, ctx.secure_cookie)  # a fresh Max-Age: 12 h from the last page load


def sign_out(ctx: Context) -> Result:
    if ctx.session is not None:
        ctx.run(functools.partial(close_session, ctx.engine, ctx.session.id))
    return WithHeaders(None, (("Set-Cookie", set_cookie("", secure=ctx.secure_cookie, max_age=0)),))


SESSION_ROUTES: Final[tuple[Route, ...]] = (
    Route(
        "POST",
        "/api/session",
        "openSession",
        "Sign a browser in with an API token: sets the cc_session cookie (no Authorization needed)",
        sign_in,
        response=Session,
        body=SessionIn,
        public=True,
        json_only=True,
        errors=(401, 415, 503),
        description="Set-Cookie: cc_session=...; HttpOnly; SameSite=Strict; Path=/; Max-Age=43200 "
        "(and Secure over HTTPS). The body's `csrf` goes in X-CSRF-Token on every later write.",
    ),
    Route(
        "GET",
        "/api/session",
        "getSession",
        "Who is signed in, and the session's CSRF value (renews the cookie's 12 hours)",
        who_is_signed_in,
        response=Session,
    ),
    Route(
        "DELETE",
        "/api/session",
        "closeSession",
        "Sign out: the session is deleted and the cookie cleared",
        sign_out,
        status=204,
    ),
)
