"""Render time of each dashboard page in headless chromium, as a ratio to a static page served by the same server.

Run:  .venv/bin/python benchmarks/bench_dashboard.py [--quick] [--loads N] [--patients N]

A private devnet (Anvil and Kubo nodes, its own state folder; nothing else is touched) with the sample market of
``kura.devtools.sample_market`` (three institutions, two listings of synthetic FHIR records, an accepted sale and
a waiting one, compute terms, a task, a stored file, a registered node), the dashboard of the first hospital
served by ``kura.dashboard.serve_in_background``, and Debian's chromium driven by Playwright. Each page, and the
reference — the dashboard's static help page (``/static/help.html``, same server, same middleware, same styles) —
is loaded once to warm caches, then ``--loads`` times, interleaved page by page so that load on the machine
touches every row alike. Reported (medians): the browser's time from navigation start to the load event, its
ratio to the static page's, the server's own render time (its ``Server-Timing`` header) and whether the page
is within the 300 ms budget of issue 16.
"""

from __future__ import annotations

import argparse
import statistics
import time

from kura.api.session import connect
from kura.config import resolve_network
from kura.dashboard import Settings, serve_in_background
from kura.dashboard.app import PAGES
from kura.demo import private_state
from kura.devnet import manager
from kura.devtools import sample_market
from kura.devtools.browser import Load, headless_chromium, load

BUDGET_MS = 300.0
STATIC = "static/help.html"
"""The reference: a static page of the same server (it passes the same Host check, headers and logging)."""
KUBO_NODES = 6


def measure(base: str, paths: list[str], loads: int, page_login: str) -> dict[str, list[Load]]:
    """Load every path once (warm-up), then ``loads`` rounds of every path in turn; the timed loads per path."""
    times: dict[str, list[Load]] = {path: [] for path in paths}
    with headless_chromium() as browser:
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        page = context.new_page()
        page.goto(page_login)
        for path in paths:
            load(page, base + path)
        for _ in range(loads):
            for path in paths:
                times[path].append(load(page, base + path))
        context.close()
    return times


def table(times: dict[str, list[Load]]) -> str:
    """The report: one row per page, the static reference first."""
    reference = statistics.median(t.total_ms for t in times[STATIC])
    lines = [f"{'page':>18} {'load ms':>8} {'÷ static':>9} {'server ms':>10} {'≤ 300 ms':>9}"]
    for path, loads in times.items():
        total = statistics.median(t.total_ms for t in loads)
        server = statistics.median(t.server_ms for t in loads)
        name = "static (reference)" if path == STATIC else path
        lines.append(
            f"{name:>18} {total:8.1f} {total / reference:9.2f} {server:10.1f} "
            f"{'yes' if total <= BUDGET_MS else 'NO':>9}"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="5 timed loads of each page instead of --loads")
    parser.add_argument("--loads", type=int, default=20, help="timed loads of each page (default 20)")
    parser.add_argument(
        "--patients", type=int, default=600, help="synthetic patients per hospital in the sample market (default 600)"
    )
    args = parser.parse_args()
    loads = 5 if args.quick else args.loads
    with private_state():
        started = time.monotonic()
        manager.up(KUBO_NODES)
        try:
            network = resolve_network("devnet")
            sample_market.build(network, patients=args.patients)
            print(
                f"devnet and sample market ready in {time.monotonic() - started:.0f} s "
                f"({args.patients} patients per hospital)"
            )
            with (
                connect(network, sample_market.HOSPITAL, nodes="config") as hospital,
                serve_in_background(hospital, "127.0.0.1:0", settings=Settings(salt=sample_market.SALT)) as dashboard,
            ):
                base = f"http://127.0.0.1:{dashboard.port}/"
                times = measure(base, [STATIC, *PAGES], loads, dashboard.url)
        finally:
            manager.down()
    print(f"\nmedian of {loads} loads in headless chromium, interleaved; ratio to the static page of the same server")
    print(table(times))


if __name__ == "__main__":
    main()
