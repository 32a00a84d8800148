"""An institution's dashboard in the browser: ``kura dashboard`` serves it for one account.

Server-rendered pages (FastAPI, Jinja templates, htmx vendored from npm, a few lines of plain JavaScript) built
on the public API only: Storage, Market, Consent, Compute and Health, charts drawn as SVG by the server, live
updates when a kura contract emits an event, and writes (list, buy, deliver, revoke, rotate, withdraw) that ask
for confirmation and report the gas they used. To run it beside other work, e.g. at the end of a demo::

    import kura
    from kura.dashboard import serve_in_background

    with kura.connect("devnet", account=11) as k, serve_in_background(k) as dashboard:
        print(dashboard.url)          # open it: the address carries the session's access token
        dashboard.wait()

Needs the ``dashboard`` extra (``pip install kura[dashboard]``) and htmx vendored by ``make setup``.
"""

from kura.dashboard.pages import Settings
from kura.dashboard.server import DEFAULT_LISTEN, RunningDashboard, serve, serve_in_background

__all__ = ["DEFAULT_LISTEN", "RunningDashboard", "Settings", "serve", "serve_in_background"]
