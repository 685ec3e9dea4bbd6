"""`ApiServer`: the API's WSGI app on gevent.pywsgi, inside the `callcenter serve` process.

It runs on the same gevent hub as the calls, one greenlet per connection; the app does its database
work in the hub's thread pool. Logs go through `logging`, never to stderr: the access log
(`http_api.access`, INFO) holds the client, method, path, status, size and time — no headers (so no
token) and no query string (phone numbers, names; or a token a client put there by mistake) —;
errors go to `http_api.server`.

Hostile or broken clients are refused in the HTTP layer, before the app: an ambiguous body framing
(http_api.framing) is a 400; a request head (request line and headers) must arrive within
`head_timeout` seconds of the connection being ready for it, which also ends idle keep-alive
connections, and its body within `body_timeout` seconds after the head (http_api.timed_input);
beyond `max_connections` open connections a new one gets a 503 and is closed. These are the
client's faults, logged as warnings, never as internal errors.
"""

from __future__ import annotations

import logging
import socket
import ssl
from http import HTTPStatus
from pathlib import Path
from typing import Any
from wsgiref.types import WSGIApplication

from gevent import Timeout
from gevent import ssl as gevent_ssl
from gevent.pywsgi import LoggingLogAdapter, WSGIHandler, WSGIServer

from http_api.framing import FramingError, content_length
from http_api.models import ErrorBody
from http_api.timed_input import TimedInput

log = logging.getLogger(__name__)
access_log = logging.getLogger("http_api.access")


class _HeadTimeout(TimeoutError):
    """The request head did not arrive in time (an OSError, so gevent drops a silent peer quietly)."""


class _Handler(WSGIHandler):  # type: ignore[misc]  # gevent ships no type hints
    _head_deadline: Timeout | None = None
    wsgi_input: Any

    def handle_one_request(self) -> Any:
        try:
            return super().handle_one_request()
        finally:
            self._end_head_deadline()

    def read_requestline(self) -> str:
        """The request line; the head's deadline starts here (so it also ends idle keep-alives)."""
        self._head_deadline = Timeout.start_new(self.server.head_timeout, _HeadTimeout)
        line: str = super().read_requestline()
        return line

    def read_request(self, raw_requestline: str) -> bool:
        try:
            return bool(super().read_request(raw_requestline))
        finally:
            self._end_head_deadline()

    def handle_one_response(self) -> None:
        super().handle_one_response()
        if isinstance(self.wsgi_input, TimedInput) and self.wsgi_input.failed:
            # The body could not be read to its end, so where the next request starts is unknown.
            self.close_connection = True

    def get_environ(self) -> Any:
        """The WSGI environ, its body stream bound to the body deadline (gevent drains it too)."""
        environ = super().get_environ()
        if environ.get("wsgi.input") is self.wsgi_input:  # not an upgraded connection's raw stream
            self.wsgi_input = environ["wsgi.input"] = TimedInput(self.wsgi_input, self.server.body_timeout)
        return environ

    def MessageClass(self, *args: Any) -> Any:  # gevent's name
        """The parsed headers, refused when the body's framing is ambiguous (before gevent reads it)."""
        headers = super().MessageClass(*args)
        if not headers.status:
            length = content_length(
                headers.get_all("Content-Length") or [], headers.get_all("Transfer-Encoding") or []
            )
            if length is not None:
                del headers["Content-Length"]
                headers["Content-Length"] = length
        return headers

    def _handle_client_error(self, ex: BaseException) -> tuple[str, bytes]:
        """A malformed or too slow request head: a JSON error, a warning, and the connection closed."""
        if isinstance(ex, _HeadTimeout):
            status, message = 408, f"the request head did not arrive within {self.server.head_timeout:g} s"
        elif isinstance(ex, FramingError):
            status, message = 400, str(ex)
        else:  # gevent's own message quotes the request line, whose query may hold personal data
            status, message = 400, "malformed request line or header"
        log.warning("refused a request from %s: %d %s", self._client(), status, message)
        return str(status), error_response(status, message)

    def _end_head_deadline(self) -> None:
        if self._head_deadline is not None:
            self._head_deadline.close()
            self._head_deadline = None

    def _client(self) -> str:
        address = self.client_address
        return str(address[0] if isinstance(address, tuple) else address or "-")

    def format_request(self) -> str:
        """The access-log line, without the query string."""
        path, query_mark, _ = str(self.path or "").partition("?")
        client = self.client_address[0] if isinstance(self.client_address, tuple) else self.client_address
        elapsed = f"{self.time_finish - self.time_start:.3f}s" if self.time_finish else "-"
        status = getattr(self, "code", None) or "-"
        line = f"{self.command} {path}{'?…' if query_mark else ''} {self.request_version}"
        return f'{client or "-"} "{line}" {status} {self.response_length or "-"} {elapsed}'


class _Server(WSGIServer):  # type: ignore[misc]  # gevent ships no type hints
    def __init__(
        self, *args: Any, head_timeout: float, body_timeout: float, max_connections: int, **kwargs: Any
    ) -> None:
        self.head_timeout = head_timeout
        self.body_timeout = body_timeout
        self.max_connections = max_connections
        self.open_connections = 0
        self._refusing = False
        super().__init__(*args, **kwargs)

    def handle(self, sock: socket.socket, address: Any) -> None:
        if self.open_connections >= self.max_connections:
            self._refuse(sock, address)
            return
        self.open_connections += 1
        try:
            super().handle(sock, address)
        finally:
            self.open_connections -= 1
            self._refusing = False

    def wrap_socket_and_handle(self, client_socket: socket.socket, address: Any) -> None:
        """HTTPS: the handshake within `head_timeout`, or the connection is closed (gevent's own
        would wait on a silent peer for ever)."""
        try:
            with Timeout(self.head_timeout, _HeadTimeout):
                tls_socket = self.wrap_socket(client_socket, **self.ssl_args)
        except OSError as exc:  # ssl.SSLError and the timeout are OSErrors
            log.warning("TLS handshake with %s failed: %s", _host_of(address), exc)
            client_socket.close()
            return
        try:
            self.handle(tls_socket, address)
        finally:
            tls_socket.close()

    def _refuse(self, sock: socket.socket, address: Any) -> None:
        """503 and close; warned once per time the cap is reached, so a flood cannot flood the log."""
        if not self._refusing:
            self._refusing = True
            log.warning(
                "%d connections open, the limit: refusing new ones (%s)", self.max_connections, address
            )
        message = f"the server has {self.max_connections} connections open, its limit; try again shortly"
        sock.settimeout(1.0)
        try:
            sock.sendall(error_response(503, message, "Retry-After: 5\r\n"))
            sock.shutdown(socket.SHUT_WR)
            sock.recv(16384)  # what the peer sent already, so closing does not reset the answer away
        except OSError:
            pass


def _tls_context(certificate: Path, key: Path) -> ssl.SSLContext:
    """TLS 1.2 and up with Python's default ciphers; a bad or mismatched file fails here, at start.
    gevent's context, whose sockets wait on the hub: the standard library's would block every call
    in this process during a handshake."""
    context: ssl.SSLContext = gevent_ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(certificate, key)
    return context


def _host_of(address: Any) -> str:
    return str(address[0] if isinstance(address, tuple) else address or "-")


def error_response(status: int, message: str, extra_headers: str = "") -> bytes:
    """A whole HTTP response that answers with `{"error": message}` and closes the connection."""
    body = ErrorBody(error=message).model_dump_json().encode()
    head = (
        f"HTTP/1.1 {status} {HTTPStatus(status).phrase}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\nCache-Control: no-store\r\nConnection: close\r\n"
        f"{extra_headers}\r\n"
    )
    return head.encode("latin-1") + body


class ApiServer:
    def __init__(
        self,
        app: WSGIApplication,
        host: str = "127.0.0.1",
        port: int = 8086,
        *,
        backlog: int = 256,
        stop_timeout: float = 2.0,
        head_timeout: float = 10.0,
        body_timeout: float = 30.0,
        max_connections: int = 256,
        tls: tuple[Path, Path] | None = None,
    ) -> None:
        """`port` 0 takes a free port (see `port` once started). `tls`: (certificate, key) PEM files to
        serve HTTPS with; the handshake must be done within `head_timeout`. Open event streams get
        `stop_timeout` seconds to end when the server stops (close the PushHub first to end them at
        once). A request head must arrive within `head_timeout` seconds, its body within `body_timeout`
        more; at most `max_connections` are open at once (event streams included), others get a 503."""
        if head_timeout <= 0 or body_timeout <= 0 or max_connections < 1:
            raise ValueError("head_timeout and body_timeout must be positive, max_connections at least 1")
        self._app = app
        self._host = host
        self._requested_port = port
        self._backlog = backlog
        self._stop_timeout = stop_timeout
        self._head_timeout = head_timeout
        self._body_timeout = body_timeout
        self._max_connections = max_connections
        self._tls = tls
        self._server: _Server | None = None

    def start(self) -> None:
        if self._server is not None:
            raise RuntimeError("the API server is running already")
        server = _Server(
            (self._host, self._requested_port),
            self._app,
            head_timeout=self._head_timeout,
            body_timeout=self._body_timeout,
            max_connections=self._max_connections,
            backlog=self._backlog,
            handler_class=_Handler,
            log=LoggingLogAdapter(access_log, logging.INFO),
            error_log=LoggingLogAdapter(log, logging.ERROR),
            **({} if self._tls is None else {"ssl_context": _tls_context(*self._tls)}),
        )
        server.start()
        self._server = server
        scheme = "http" if self._tls is None else "https"
        where = f"{scheme}://{self._host}:{self.port}"
        log.info("HTTP API listening on %s/api/ (OpenAPI: /api/openapi.json)", where)

    @property
    def port(self) -> int:
        """The port listened on (the real one when 0 was asked for)."""
        if self._server is None:
            raise RuntimeError("the API server is not running")
        return int(self._server.server_port)

    def stop(self) -> None:
        if self._server is None:
            return
        server, self._server = self._server, None
        server.stop(timeout=self._stop_timeout)
        log.info("HTTP API stopped")
