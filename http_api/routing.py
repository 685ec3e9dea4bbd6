"""The route table's pieces: a `Route` (method, path template, handler and what it takes and returns),
the `Context` a handler gets, and the parsing of path, query and body into validated models.

A path template names its parameters in braces; `{id}` and `{..._id}` are positive integers, any other
name a call-UUID-like string. The same table drives dispatch and the OpenAPI document, so the two
cannot disagree.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import re
import urllib.parse
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from pydantic import BaseModel, TypeAdapter, ValidationError
from sqlalchemy import Engine

from http_api.live_feed import LiveFeed, StatsStream
from http_api.models import MAX_DATABASE_ID
from http_api.push import EventStream, PushHub
from schema.crm.sessions import BrowserSession
from schema.viewer import Viewer

MAX_BODY_BYTES = 64 * 1024
_T = TypeVar("_T")
_M = TypeVar("_M", bound=BaseModel)
_PARAMETER = re.compile(r"\{([a-z_]+)\}")
_TEXT_PARAMETER = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")

Runner = Callable[[Callable[[], Any]], Any]


@dataclass(frozen=True)
class RawJson:
    """A JSON body already encoded (the OpenAPI document, built once)."""

    body: bytes


@dataclass(frozen=True)
class RawBody:
    """A body that is not JSON (the report's HTML or CSV, the desk's files): its bytes, media type and
    extra headers (a Cache-Control here replaces the default no-store), and its status."""

    body: bytes
    content_type: str
    headers: tuple[tuple[str, str], ...] = ()
    status: int = 200


@dataclass(frozen=True)
class WithHeaders:
    """A result and headers to send with it (the session cookie)."""

    result: BaseModel | None
    headers: tuple[tuple[str, str], ...]


Result = BaseModel | Sequence[BaseModel] | EventStream | StatsStream | RawJson | RawBody | WithHeaders | None


class ApiError(Exception):
    """An HTTP error answer: status, a message for the client, extra headers, and optionally the
    problems by field (a refused form's answers, by question id)."""

    def __init__(
        self,
        status: int,
        message: str,
        headers: Sequence[tuple[str, str]] = (),
        problems: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = tuple(headers)
        self.problems = dict(problems) if problems is not None else None


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True)
class Context:
    """What a handler works with: the database, who asks, and the request's validated parts."""

    engine: Engine
    region: str
    viewer: Viewer | None
    params: Mapping[str, int | str]
    query: BaseModel | None
    body: BaseModel | None
    push: PushHub | None
    run: Runner
    stats: LiveFeed | None = None
    session: BrowserSession | None = None  # the request came with a session cookie (not a Bearer token)
    secure_cookie: bool = False  # a cookie set in the answer gets `Secure`
    clock: Callable[[], dt.datetime] = utc_now  # tests pin it

    def now(self) -> dt.datetime:
        """The time a route decides by (calling windows, reservations): the app's clock."""
        return self.clock()

    @property
    def who(self) -> Viewer:
        if self.viewer is None:
            raise RuntimeError("a public route has no viewer")
        return self.viewer

    def id(self, name: str = "id") -> int:
        value = self.params[name]
        if not isinstance(value, int):
            raise TypeError(f"path parameter {name} is not an integer")
        return value

    def text(self, name: str) -> str:
        return str(self.params[name])

    def query_as(self, model: type[_M]) -> _M:
        if not isinstance(self.query, model):
            raise TypeError(f"this route's query is not a {model.__name__}")
        return self.query

    def body_as(self, model: type[_M]) -> _M:
        if not isinstance(self.body, model):
            raise TypeError(f"this route's body is not a {model.__name__}")
        return self.body

    def data(self, function: Callable[..., _T], *args: Any, **kwargs: Any) -> _T:
        """`function(engine, viewer, *args, **kwargs)`, a data-layer call, run off the gevent hub."""
        call = functools.partial(function, self.engine, self.who, *args, **kwargs)
        result: _T = self.run(call)
        return result


Handler = Callable[[Context], Result]


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    operation_id: str
    summary: str
    handler: Handler
    response: type[BaseModel] | None = None  # None: no JSON body (204, or the event stream)
    many: bool = False  # the response is a JSON array of `response`
    status: int = 200
    query: type[BaseModel] | None = None
    body: type[BaseModel] | None = None
    public: bool = False
    json_only: bool = False  # the body must come as application/json (415 otherwise): no form can send it
    stream: bool = False  # text/event-stream
    errors: tuple[int, ...] = ()  # statuses beyond those every route of its kind may answer
    media: tuple[str, ...] = ()  # a 200 that is not JSON (RawBody): its media types, for the document
    documented: bool = True  # False: not part of the API (the desk's pages), left out of the document
    description: str = ""
    _pattern: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        parts = _PARAMETER.split(self.path)  # literal, name, literal, name, ...
        regex = "".join(
            re.escape(part) if i % 2 == 0 else f"(?P<{part}>[^/]+)" for i, part in enumerate(parts)
        )
        object.__setattr__(self, "_pattern", re.compile(regex + "$"))

    @property
    def parameters(self) -> list[str]:
        return _PARAMETER.findall(self.path)

    def match(self, path: str) -> dict[str, str] | None:
        found = self._pattern.match(path)
        return found.groupdict() if found else None

    @functools.cached_property
    def adapter(self) -> TypeAdapter[Any] | None:
        model = self.response
        if model is None:
            return None
        return TypeAdapter(list[model]) if self.many else TypeAdapter(model)  # type: ignore[valid-type]


def is_integer_parameter(name: str) -> bool:
    return name == "id" or name.endswith("_id")


def path_values(raw: Mapping[str, str]) -> dict[str, int | str]:
    values: dict[str, int | str] = {}
    for name, text in raw.items():
        if is_integer_parameter(name):
            if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= MAX_DATABASE_ID:
                raise ApiError(400, f"path parameter {name!r} must be a positive integer, got {text!r}")
            values[name] = int(text)
        elif _TEXT_PARAMETER.fullmatch(text):
            values[name] = text
        else:
            raise ApiError(400, f"path parameter {name!r} must be 1-64 letters, digits, '.', '_', ':' or '-'")
    return values


def parse_query(model: type[BaseModel] | None, query_string: str) -> BaseModel | None:
    try:
        pairs = urllib.parse.parse_qsl(query_string, keep_blank_values=True, max_num_fields=32)
    except ValueError as exc:
        raise ApiError(400, f"query string: {exc}") from exc
    fields: dict[str, str] = {}
    for name, value in pairs:
        if name in fields:
            raise ApiError(400, f"query parameter {name!r} is given more than once")
        if value != "":  # `?phone=` means no phone filter
            fields[name] = value
    if model is None:
        if fields:
            raise ApiError(400, f"query parameter {next(iter(fields))!r} is not taken by this route")
        return None
    try:
        return model.model_validate(fields)
    except ValidationError as exc:
        raise ApiError(400, describe(exc, "query parameter")) from exc


def parse_body(model: type[BaseModel], data: bytes) -> BaseModel:
    if not data.strip():
        raise ApiError(400, "request body is empty: send a JSON object")
    _refuse_duplicate_keys(data)
    try:
        return model.model_validate_json(data)
    except ValidationError as exc:
        invalid_json = [error for error in exc.errors() if error["type"] == "json_invalid"]
        if invalid_json:
            raise ApiError(400, f"request body is not valid JSON: {invalid_json[0]['msg']}") from exc
        raise ApiError(400, describe(exc, "body field")) from exc


def _refuse_duplicate_keys(data: bytes) -> None:
    """A 400 naming a key that an object of the body repeats (pydantic would keep the last silently)."""
    try:
        json.loads(data, object_pairs_hook=_object_without_duplicates)
    except _DuplicateKey as exc:
        raise ApiError(400, f"body field {exc.key!r} is given more than once") from exc
    except (ValueError, RecursionError):
        return  # not JSON, or nested too deep: pydantic's parsing says so


class _DuplicateKey(Exception):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _object_without_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise _DuplicateKey(key)
        result[key] = value
    return result


def describe(exc: ValidationError, where: str) -> str:
    """Pydantic's errors as one line that names each field: `body field 'status': Input should be …`."""
    parts = []
    for error in exc.errors(include_url=False):
        location = ".".join(str(part) for part in error["loc"])
        parts.append(f"{where} {location!r}: {error['msg']}" if location else f"{where}s: {error['msg']}")
    return "; ".join(parts)


def read_body(environ: Mapping[str, Any]) -> bytes:
    """The request body, refused (413) beyond MAX_BODY_BYTES before it is read when the length is known."""
    length_text = str(environ.get("CONTENT_LENGTH") or "").strip()
    stream = environ["wsgi.input"]
    if length_text:
        if not length_text.isdigit():
            raise ApiError(400, f"Content-Length {length_text!r} is not a number")
        length = int(length_text)
        if length > MAX_BODY_BYTES:
            raise ApiError(413, f"request body of {length} bytes is over the {MAX_BODY_BYTES}-byte limit")
    else:  # chunked: read one byte past the limit to know
        length = MAX_BODY_BYTES + 1
    try:
        data = bytes(stream.read(length))
    except TimeoutError as exc:
        raise ApiError(408, str(exc), [("Connection", "close")]) from exc
    except OSError as exc:  # gevent's input: a malformed chunk, or the peer gone before the body's end
        what = "the chunked body is malformed" if not length_text else "the request body ended early"
        detail = exc.args[0] if exc.args else type(exc).__name__
        raise ApiError(400, f"{what}: {detail}", [("Connection", "close")]) from exc
    if len(data) > MAX_BODY_BYTES:
        raise ApiError(413, f"request body is over the {MAX_BODY_BYTES}-byte limit")
    return data
