"""The desk's pages served by the API (http_api.desk_routes) over a real socket: each page and asset with
its fixed media type, the page policy, a revalidation answered 304, no file outside http_api/desk/, the
routes public and out of the OpenAPI document, and the package shipping the files."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from http_api.desk_routes import DESK_FILES, PAGE_POLICY
from tests.support.http_api import ApiClient, running_api

ROOT = Path(__file__).resolve().parents[2]
DESK = ROOT / "http_api" / "desk"


@pytest.fixture
def api(engine: Engine) -> Iterator[ApiClient]:
    with running_api(engine) as client:
        yield client


@pytest.mark.parametrize(("path", "name"), [("/desk/", "agent.html"), ("/desk/wallboard", "wallboard.html")])
def test_the_pages_are_served_with_their_policy(api: ApiClient, path: str, name: str) -> None:
    reply = api.get(path, None)  # no token: the pages hold no data

    assert reply.status == 200
    assert reply.body == (DESK / name).read_bytes()
    assert reply.headers["content-type"] == "text/html; charset=utf-8"
    assert reply.headers["content-security-policy"] == PAGE_POLICY
    assert PAGE_POLICY.startswith("default-src 'self';")
    assert reply.headers["x-content-type-options"] == "nosniff"
    assert reply.headers["x-frame-options"] == "DENY"
    assert reply.headers["cache-control"] == "no-cache"


@pytest.mark.parametrize(
    ("name", "media"),
    [("api.js", "text/javascript; charset=utf-8"), ("desk.css", "text/css; charset=utf-8")],
)
def test_assets_have_fixed_media_types_and_revalidate(api: ApiClient, name: str, media: str) -> None:
    reply = api.get(f"/desk/assets/{name}", None)

    assert reply.status == 200
    assert reply.headers["content-type"] == media
    assert reply.body == (DESK / name).read_bytes()
    etag = reply.headers["etag"]
    assert re.fullmatch(r'"[0-9a-f]{32}"', etag)
    again = api.request("GET", f"/desk/assets/{name}", headers={"If-None-Match": etag})
    assert (again.status, again.body, again.headers["etag"]) == (304, b"", etag)
    stale = api.request("GET", f"/desk/assets/{name}", headers={"If-None-Match": '"0"'})
    assert (stale.status, stale.body) == (200, reply.body)


@pytest.mark.parametrize(
    "target",
    [
        "/desk/assets/..%2Fapp.py",
        "/desk/assets/../app.py",
        "/desk/assets/..",
        "/desk/assets/%2E%2E%2F%2E%2E%2Fpyproject.toml",
        "/desk/assets/app.py",
        "/desk/assets/agent.html",
        "/desk/assets/",
        "/desk/assets/nothing.js",
    ],
)
def test_nothing_outside_the_desk_files_is_served(api: ApiClient, target: str) -> None:
    reply = api.get(target, None)

    assert reply.status in (400, 404), target
    assert reply.headers["content-type"] == "application/json"
    assert b"import" not in reply.body


def test_the_root_sends_browsers_to_the_agent_page(api: ApiClient) -> None:
    reply = api.get("/", None)

    assert reply.status == 302
    assert reply.headers["location"] == "/desk/"


def test_the_desk_routes_are_not_in_the_api_document(api: ApiClient) -> None:
    paths = api.get("/api/openapi.json", None).json()["paths"]

    assert all(path.startswith("/api/") for path in paths)


def test_every_file_of_the_directory_is_served_and_shipped() -> None:
    on_disk = {path.name for path in DESK.iterdir() if path.suffix in (".html", ".js", ".css")}
    assert set(DESK_FILES) == on_disk
    assert {"agent.html", "wallboard.html", "api.js", "desk.css"} <= on_disk
    shipped = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]
    assert {"desk/*.html", "desk/*.js", "desk/*.css"} <= set(shipped["http_api"])


def test_the_pages_have_no_inline_script_or_style_and_fetch_nothing_elsewhere() -> None:
    for name in DESK_FILES:
        text = (DESK / name).read_text()
        assert not re.search(r"https?://", text), f"{name} names another origin"
        if name.endswith(".html"):
            assert not re.search(r"style=|<style", text), f"{name}: an inline style"
            page = name.removesuffix(".html")
            assert re.findall(r"<script[^>]*>", text) == [
                f'<script type="module" src="/desk/assets/{page}.js">'
            ], name
            assert not re.search(r"\son[a-z]+=", text), f"{name}: an inline event handler"
