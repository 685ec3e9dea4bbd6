"""A headless Chromium that a test drives step by step while its gevent hub serves the API (the desk's
browser tests, marker `browser`).

Playwright's sync API keeps its objects on the thread that made them, and a blocking call on the
test's own thread would stop the hub (and the server). So the browser lives on one dedicated thread
(`ThreadPoolExecutor(max_workers=1)`): `Browser.do(step)` runs `step` there and waits for it from a
thread of the hub's pool, so the hub runs meanwhile. Between steps the test works on the hub as usual
(publish a screen pop, change the board, read the database).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import TypeVar

from playwright.sync_api import Browser as Chromium
from playwright.sync_api import BrowserContext, Page, Playwright, expect, sync_playwright

from tests.support.http_api import in_thread

_T = TypeVar("_T")


class Browser:
    def __init__(self, executor: ThreadPoolExecutor, playwright: Playwright, chromium: Chromium) -> None:
        self._executor = executor
        self._playwright = playwright
        self._chromium = chromium

    def do(self, step: Callable[[], _T]) -> _T:
        """Run `step` on the browser's thread; the hub serves while this greenlet waits."""
        future = self._executor.submit(step)
        return in_thread(future.result)

    def new_page(self, base_url: str, *, ignore_https_errors: bool = False) -> Page:
        """A page in a context of its own (its own cookies: one person each). `ignore_https_errors`: for
        a server whose certificate the test made (the live tier's HTTPS)."""

        def opened() -> Page:
            context: BrowserContext = self._chromium.new_context(
                base_url=base_url,
                viewport={"width": 1100, "height": 900},
                ignore_https_errors=ignore_https_errors,
            )
            context.set_default_timeout(5000)
            return context.new_page()

        return self.do(opened)


@contextmanager
def chromium(binary: str) -> Iterator[Browser]:
    executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="chromium")
    try:
        playwright = in_thread(lambda: executor.submit(lambda: sync_playwright().start()).result())
        browser = in_thread(
            lambda: executor.submit(lambda: playwright.chromium.launch(executable_path=binary)).result()
        )
        try:
            yield Browser(executor, playwright, browser)
        finally:
            in_thread(lambda: executor.submit(_stop, playwright, browser).result())
    finally:
        executor.shutdown(wait=True)


def _stop(playwright: Playwright, browser: Chromium) -> None:
    try:
        browser.close()
    finally:
        playwright.stop()


def sign_in(
    browser: Browser,
    base_url: str,
    path: str,
    user: str,
    token: str,
    *,
    board_queue: str,
    ignore_https_errors: bool = False,
) -> Page:
    """A page of `path` (/desk/ or /desk/wallboard) signed in with `token`, its live data arrived: the
    desk's streams opened, or the wallboard showing `board_queue`."""
    page = browser.new_page(base_url, ignore_https_errors=ignore_https_errors)

    def signed_in() -> None:
        page.goto(path)
        page.get_by_label("Access token").fill(token)
        page.get_by_role("button", name="Sign in").click()
        expect(page.locator("#who")).to_contain_text(user)
        if path == "/desk/":
            expect(page.locator("body")).to_have_attribute("data-streams", "open")
        else:
            expect(page.locator(f'#queues tr[data-queue="{board_queue}"]')).to_have_count(1)

    browser.do(signed_in)
    return page
