"""Driving Debian's chromium headless through Playwright, for the dashboard's browser tests and its benchmark.

Playwright's own browser download is never used (its host is not reachable): ``tools/setup.sh`` installs the
Debian package ``chromium`` and Playwright launches that executable. Needs the ``test`` extra (Playwright).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from playwright.sync_api import Browser, Page, sync_playwright

from kura.errors import SetupError

CHROMIUM = Path("/usr/bin/chromium")
"""Debian's chromium (tools/setup.sh installs it)."""
NAVIGATION_TIMING = """() => {
    const n = performance.getEntriesByType('navigation')[0];
    const render = n.serverTiming.find(t => t.name === 'render');
    return [n.loadEventEnd - n.startTime, render ? render.duration : -1];
}"""
"""The last navigation's time to its load event and the server's ``Server-Timing: render`` figure, in ms."""


@contextmanager
def headless_chromium() -> Iterator[Browser]:
    """Debian's chromium, headless, closed on exit.

    Raises:
        SetupError: if chromium is not installed (run ``make setup``).
    """
    if not CHROMIUM.is_file():
        raise SetupError(f"{CHROMIUM} is missing: run `make setup` (it installs Debian's chromium)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        try:
            yield browser
        finally:
            browser.close()


@dataclass(frozen=True)
class Load:
    """One page load as the browser measured it.

    Attributes:
        total_ms: From the navigation's start to the end of its load event (request, render, transfer, parsing,
            styles and scripts).
        server_ms: What the server reported it spent (its ``Server-Timing: render`` header; -1 when absent).
    """

    total_ms: float
    server_ms: float


def load(page: Page, url: str) -> Load:
    """Navigate ``page`` to ``url`` and return how long it took, as the browser's navigation timing says."""
    page.goto(url)
    total, server = page.evaluate(NAVIGATION_TIMING)
    return Load(float(total), float(server))
