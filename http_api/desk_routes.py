"""The agent desktop's pages (docs/desktop.md): GET /desk/ (the agent page), /desk/wallboard (the
supervisor wallboard) and /desk/assets/{name} (their ES modules and style sheet), and / → /desk/.

The files live in http_api/desk/ and are read once, when this module is imported: a name not in that
listing is 404, so no request reaches another file (a path's `..` or `/` never names one). Each file has
a fixed media type by its extension and a strong ETag of its content; `Cache-Control: no-cache` makes a
browser revalidate (304) rather than keep a stale module after an upgrade. The routes are public: the
pages hold no data, and every data route they call needs the session. The pages' policy allows only
this origin: no inline script or style, nothing fetched from elsewhere.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from importlib import resources
from typing import Final

from http_api.routing import ApiError, Context, RawBody, Result, Route

HTML: Final = "text/html; charset=utf-8"
MEDIA_TYPES: Final = {
    ".html": HTML,
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
}
PAGE_POLICY: Final = (
    "default-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'; object-src 'none'"
)
_SECURITY_HEADERS: Final = (
    ("Content-Security-Policy", PAGE_POLICY),
    ("Referrer-Policy", "no-referrer"),
    ("X-Frame-Options", "DENY"),
)
PAGES: Final = {"/desk/": "agent.html", "/desk/wallboard": "wallboard.html"}


@dataclass(frozen=True)
class DeskFile:
    body: bytes
    media_type: str
    etag: str

    def served(self) -> RawBody:
        return RawBody(
            self.body,
            self.media_type,
            (("Cache-Control", "no-cache"), ("ETag", self.etag), *_SECURITY_HEADERS),
        )


def load_desk_files() -> dict[str, DeskFile]:
    """Every file of http_api/desk/ with a known media type, by name (the directory is flat)."""
    files: dict[str, DeskFile] = {}
    for entry in resources.files("http_api").joinpath("desk").iterdir():
        suffix = "." + entry.name.rpartition(".")[2]
        if not entry.is_file() or suffix not in MEDIA_TYPES:
            continue
        body = entry.read_bytes()
        etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
        files[entry.name] = DeskFile(body, MEDIA_TYPES[suffix], etag)
    return files


DESK_FILES: Final = load_desk_files()


def _file(name: str) -> RawBody:
    found = DESK_FILES.get(name)
    if found is None:
        raise ApiError(404, f"no such desk file: {name}")
    return found.served()


def agent_page(ctx: Context) -> Result:
    return _file(PAGES["/desk/"])


def wallboard_page(ctx: Context) -> Result:
    return _file(PAGES["/desk/wallboard"])


def asset(ctx: Context) -> Result:
    name = ctx.text("name")
    if name.endswith(".html"):  # the pages have their own addresses
        raise ApiError(404, f"no such desk asset: {name}")
    return _file(name)


def to_the_desk(ctx: Context) -> Result:
    return RawBody(b"", "text/plain; charset=utf-8", (("Location", "/desk/"),), status=302)


DESK_ROUTES: Final[tuple[Route, ...]] = (
    Route("GET", "/", "root", "Redirects to the agent page", to_the_desk, public=True, documented=False),
    Route("GET", "/desk/", "deskAgent", "The agent page", agent_page, public=True, documented=False),
    Route(
        "GET",
        "/desk/wallboard",
        "deskWallboard",
        "The wallboard",
        wallboard_page,
        public=True,
        documented=False,
    ),
    Route(
        "GET", "/desk/assets/{name}", "deskAsset", "A desk page's file", asset, public=True, documented=False
    ),
)
