"""`ApiServer`: the API's WSGI app on gevent.pywsgi, inside the `callcenter serve` process.

It runs on the same gevent hub as the calls, one greenlet per connection; the app does its database
work in the hub's thread pool. Logs go through `logging`, never to stderr: the access log
(`http_api.access`, INFO) holds the client, method, path, status, size and time — no headers (so no
token) and no query string (phone numbers, names; or a token a client put there by mistake) —;
errors go to `http_api.server`.
"""

from __future__ import annotations

import logging
from wsgiref.types import WSGIApplication

from gevent.pywsgi import LoggingLogAdapter, WSGIHandler, WSGIServer

log = logging.getLogger(__name__)
access_log = logging.getLogger("http_api.access")


class _Handler(WSGIHandler):  # type: ignore[misc]  # gevent ships no type hints
    def format_request(self) -> str:
        """The access-log line, without the query string."""
        path, query_mark, _ = str(self.path or "").partition("?")
        client = self.client_address[0] if isinstance(self.client_address, tuple) else self.client_address
        elapsed = f"{self.time_finish - self.time_start:.3f}s" if self.time_finish else "-"
        status = getattr(self, "code", None) or "-"
        line = f"{self.command} {path}{'?…' if query_mark else ''} {self.request_version}"
        return f'{client or "-"} "{line}" {status} {self.response_length or "-"} {elapsed}'


class ApiServer:
    def __init__(
        self,
        app: WSGIApplication,
        host: str = "127.0.0.1",
        port: int = 8086,
        *,
        backlog: int = 256,
        stop_timeout: float = 2.0,
    ) -> None:
        """`port` 0 takes a free port (see `port` once started). Open event streams get `stop_timeout`
        seconds to end when the server stops (close the PushHub first to end them at once)."""
        self._app = app
        self._host = host
        self._requested_port = port
        self._backlog = backlog
        self._stop_timeout = stop_timeout
        self._server: WSGIServer | None = None

    def start(self) -> None:
        if self._server is not None:
            raise RuntimeError("the API server is running already")
        server = WSGIServer(
            (self._host, self._requested_port),
            self._app,
            backlog=self._backlog,
            handler_class=_Handler,
            log=LoggingLogAdapter(access_log, logging.INFO),
            error_log=LoggingLogAdapter(log, logging.ERROR),
        )
        server.start()
        self._server = server
        log.info(
            "HTTP API listening on http://%s:%d/api/ (OpenAPI: /api/openapi.json)", self._host, self.port
        )

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
