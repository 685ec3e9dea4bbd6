"""Helpers of the HTTP API tests (no tests here): a real ApiServer on 127.0.0.1, an http.client that
talks to it from a real thread (the server runs on this thread's gevent hub), and seed data written
through the data layer.

The client runs in gevent's thread pool: a blocking http.client call on the test's own thread would
stop the hub, and with it the server.
"""

from __future__ import annotations

import datetime as dt
import http.client
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

import gevent
from sqlalchemy import Engine

from http_api import ApiServer, PushHub, build_api
from schema.acd.agents import upsert_agents
from schema.acd.records import AgentProfile
from schema.calls.records import CallUpdate, SurveyAnswerRecord
from schema.calls.writes import write_batch
from schema.crm.queries import create_customer
from schema.crm.users import create_user, issue_token
from schema.crm.views import CustomerView
from schema.viewer import SYSTEM

T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
REGION = "GB"
CALL_OF_JANE = "6f1c1f0e-0000-4000-8000-000000000001"
CALL_OF_MAX = "6f1c1f0e-0000-4000-8000-000000000002"
_T = TypeVar("_T")


def in_thread(function: Callable[[], _T]) -> _T:
    """Run blocking client code on a real thread; this greenlet waits, the hub (and server) runs."""
    result: _T = gevent.get_hub().threadpool.apply(function)
    return result


@dataclass(frozen=True)
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        assert self.headers["content-type"] == "application/json"
        return json.loads(self.body)

    @property
    def error(self) -> str:
        payload = self.json()
        assert set(payload) == {"error"}
        message: str = payload["error"]
        return message


@dataclass
class ApiClient:
    port: int
    timeout: float = 10.0

    def request(
        self,
        method: str,
        path: str,
        *,
        token: str | None = None,
        json_body: Any = None,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
        chunked: bool = False,
    ) -> Reply:
        sent = dict(headers or {})
        if token is not None:
            sent["Authorization"] = f"Bearer {token}"
        if json_body is not None:
            body = json.dumps(json_body).encode()
            sent["Content-Type"] = "application/json"
        return in_thread(lambda: self._exchange(method, path, body, sent, chunked))

    def get(self, path: str, token: str | None) -> Reply:
        return self.request("GET", path, token=token)

    def _exchange(
        self, method: str, path: str, body: bytes | None, headers: dict[str, str], chunked: bool
    ) -> Reply:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
        try:
            if chunked:
                headers["Transfer-Encoding"] = "chunked"
                connection.request(
                    method, path, body=iter([body or b""]), headers=headers, encode_chunked=True
                )
            else:
                connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            data = response.read()
            return Reply(response.status, {k.lower(): v for k, v in response.getheaders()}, data)
        finally:
            connection.close()

    def open_stream(self, path: str, token: str) -> EventReader:
        """A GET whose response is read line by line, from a thread, while the test goes on."""
        return in_thread(lambda: EventReader.open(self.port, path, token, self.timeout))


@dataclass
class EventReader:
    """An open text/event-stream response; `next_event` reads (in a thread) up to a blank line."""

    connection: http.client.HTTPConnection
    response: http.client.HTTPResponse
    comments: list[str] = field(default_factory=list)

    @classmethod
    def open(cls, port: int, path: str, token: str, timeout: float) -> EventReader:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        connection.request("GET", path, headers={"Authorization": f"Bearer {token}"})
        return cls(connection, connection.getresponse())

    def next_event(self) -> dict[str, str]:
        """The next frame with fields (`event`, `data`, `retry`); comment lines are kept in `comments`."""
        return in_thread(self._read_event)

    def next_comment(self) -> str:
        """Read frames until one is a comment only; its text."""

        def read() -> str:
            while True:
                seen = len(self.comments)
                if not self._read_event() and len(self.comments) > seen:
                    return self.comments[-1]

        return in_thread(read)

    def _read_event(self) -> dict[str, str]:
        fields: dict[str, str] = {}
        while True:
            line = self.response.readline().decode()
            if line == "":
                raise EOFError("the event stream ended")
            line = line.rstrip("\n")
            if line == "":
                return fields
            if line.startswith(":"):
                self.comments.append(line[1:].strip())
                continue
            name, _, value = line.partition(":")
            value = value.removeprefix(" ")
            fields[name] = f"{fields[name]}\n{value}" if name in fields else value

    def close(self) -> None:
        in_thread(self.connection.close)


@contextmanager
def running_api(engine: Engine, *, push: PushHub | None = None) -> Iterator[ApiClient]:
    server = ApiServer(build_api(engine, region=REGION, push=push), "127.0.0.1", 0)
    server.start()
    try:
        yield ApiClient(server.port)
    finally:
        if push is not None:
            push.close()
        server.stop()


@dataclass(frozen=True)
class Seed:
    """Two customers in two departments, their calls, and a token per user.

    jane: sales, owned by agent 1001 (alice); max: support, owned by agent 1002 (bob).
    sam supervises sales; maria is a manager.
    """

    jane: CustomerView
    max: CustomerView
    tokens: dict[str, str]


def seed(engine: Engine) -> Seed:
    jane = create_customer(
        engine,
        SYSTEM,
        name="Jane Doe",
        phones=["01632 960001"],
        region=REGION,
        tier="gold",
        department="sales",
        owner_agent_id="1001",
        custom_fields={"plate": "AB12 CDE"},
        now=T0,
    )
    max_ = create_customer(
        engine,
        SYSTEM,
        name="Max Mustermann",
        phones=["+441632960002"],
        region=REGION,
        department="support",
        owner_agent_id="1002",
        now=T0,
    )
    write_batch(
        engine,
        [
            CallUpdate(CALL_OF_JANE, caller_number="+441632960001", started_at=T0, customer_id=jane.id),
            CallUpdate(CALL_OF_MAX, caller_number="+441632960002", started_at=T0, customer_id=max_.id),
            SurveyAnswerRecord(CALL_OF_JANE, "after_call", "rating", 5, "1001", "sales", T0),
            SurveyAnswerRecord(CALL_OF_MAX, "after_call", "rating", 2, "1002", "support", T0),
        ],
    )
    upsert_agents(
        engine, [AgentProfile("1001", department="sales"), AgentProfile("1002", department="support")]
    )
    create_user(engine, "alice", "agent", agent_id="1001")
    create_user(engine, "bob", "agent", agent_id="1002")
    create_user(engine, "sam", "supervisor", department="sales")
    create_user(engine, "maria", "manager")
    tokens = {name: issue_token(engine, name) for name in ("alice", "bob", "sam", "maria")}
    return Seed(jane, max_, tokens)
