"""The web application: pages and panels rendered on the server, writes behind a confirmation, live updates.

Routes:

- ``GET /<page>``: a page (``storage``, ``market``, ``consent``, ``compute``, ``health``); ``GET /panel/<page>/<panel>``
  one of its panels, which is how a panel reloads itself when the chain moves.
- ``GET /live?rev=N``: ``204`` while no kura event happened since revision ``N``, else the new revision with an
  ``HX-Trigger: chain`` header (see :mod:`kura.dashboard.live`).
- ``POST /actions/<write>``: prepare a write and show what it will do; ``POST /confirm/<id>``: send it.
- ``POST /storage/upload``, ``GET /storage/files/<id>``: store a file, download one.
- ``GET /market/log.csv``: the access log as CSV. ``GET /static/...``: style, scripts, vendored htmx.

Every route needs a session (see :mod:`kura.dashboard.security`); every POST its write token (checked by a
dependency of each write route, which reads the form once for the route too). With JavaScript,
htmx swaps fragments in place; without, the same forms and links load whole pages.
"""

from __future__ import annotations

import logging
import tempfile
import time
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlencode

from fastapi import Depends, FastAPI, Request, Response
from fastapi.responses import FileResponse, HTMLResponse, PlainTextResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.background import BackgroundTask
from starlette.datastructures import UploadFile

from kura.api.storage import file_id_of
from kura.dashboard import formatting
from kura.dashboard.actions import Actions, Confirmation, Done
from kura.dashboard.live import ChainWatch
from kura.dashboard.pages import Page, Settings, View, compute, consent, health, market, storage
from kura.dashboard.security import SESSION_COOKIE, TOKEN_FIELD, TOKEN_HEADER, Guard, Origins
from kura.errors import ContractRevertError, DashboardError, KuraError

if TYPE_CHECKING:
    from kura.api.session import Kura

PAGES: dict[str, Page] = {p.slug: p for p in (storage.PAGE, market.PAGE, consent.PAGE, compute.PAGE, health.PAGE)}
"""Every page, in navigation order."""
HERE = Path(__file__).resolve().parent
STATIC = HERE / "static"
HTMX = STATIC / "vendor" / "htmx.min.js"
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}
"""Sent with every answer: scripts and styles only from the dashboard itself, no framing, and no address (which
once carried the access token) told to another site; ``same-origin`` rather than ``no-referrer``, because under
``no-referrer`` a browser sends ``Origin: null`` with a plain form's POST, which the write check must refuse."""
STATIC_CACHE = "max-age=600"
"""Styles and scripts are kept by the browser for ten minutes; pages and panels never (they hold live figures)."""
log = logging.getLogger("kura.dashboard")


def templates() -> Environment:
    """The Jinja environment with the dashboard's filters (autoescaped)."""
    env = Environment(
        loader=FileSystemLoader(HERE / "templates"),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        ether=formatting.ether,
        epsilon=formatting.epsilon,
        fraction=formatting.fraction,
        when=formatting.when,
        iso=formatting.iso,
        duration=formatting.duration,
        short=formatting.short,
        hexed=formatting.hexed,
    )
    return env


class Dashboard:
    """The state behind the routes: the session, the guard, the chain watch, the pending writes, the templates.

    Args:
        kura: The session whose account the dashboard acts as.
        settings: Purposes to name, the pseudonym salt.
        guard: Access and write tokens.
        origins: The ``host:port`` names the dashboard answers to.
    """

    def __init__(self, kura: Kura, settings: Settings, guard: Guard, origins: Origins) -> None:
        self.kura = kura
        self.settings = settings
        self.guard = guard
        self.origins = origins
        self.watch = ChainWatch(kura.chain, kura.deployment)
        self.actions = Actions(kura, settings)
        self.env = templates()

    def render(
        self, name: str, request: Request, status: int = 200, headers: Mapping[str, str] | None = None, **context: Any
    ) -> HTMLResponse:
        """Template ``name`` with the request's common context (session's write token, pages, revision)."""
        session = request.cookies.get(SESSION_COOKIE, "")
        common = {
            "token": self.guard.write_token(session),
            "pages": PAGES.values(),
            "kura": self.kura,
            "network": self.kura.network.name,
            "revision": self.watch.revision(),
        }
        html = self.env.get_template(name).render(**common, **context)
        return HTMLResponse(html, status_code=status, headers=dict(headers or {}))

    def page(self, request: Request, page: Page) -> HTMLResponse:
        """Page ``page`` with every panel."""
        view = View(self.kura, self.settings)
        panels = [(panel, panel.build(view)) for panel in page.panels]
        return self.render("page.html", request, page=page, panels=panels, view=view, me=view.me)

    def panel(self, request: Request, page: Page, name: str) -> HTMLResponse:
        """Panel ``name`` of ``page`` alone (``name`` must be one of its panels)."""
        panel = page.panels[[p.name for p in page.panels].index(name)]
        view = View(self.kura, self.settings)
        return self.render("panel.html", request, page=page, panel=panel, data=panel.build(view), view=view)

    def shown(
        self,
        request: Request,
        fragment: str,
        back: str,
        status: int = 200,
        headers: Mapping[str, str] | None = None,
        **context: Any,
    ) -> HTMLResponse:
        """A write's confirmation, result or refusal: a fragment for htmx, a whole page without JavaScript."""
        page = PAGES.get(back, PAGES["market"])
        if request.headers.get("HX-Request") == "true":
            return self.render(fragment, request, status, headers, back=page.slug, **context)
        return self.render(
            "standalone.html",
            request,
            status,
            headers,
            page=page,
            fragment=fragment,
            back=page.slug,
            me=None,
            **context,
        )


def create_app(
    kura: Kura, *, origins: Origins, settings: Settings | None = None, guard: Guard | None = None
) -> FastAPI:
    """The dashboard of ``kura``'s account as an ASGI application.

    Args:
        kura: The session (its account signs every write).
        origins: The ``host:port`` names it is served under (requests naming another host are refused).
        settings: Purposes to name and the pseudonym salt (defaults: the common purposes, no salt).
        guard: The access and write tokens (default: fresh random ones).

    Raises:
        DashboardError: if htmx is not vendored (run ``make setup``).
    """
    if not HTMX.is_file():
        raise DashboardError(
            f"htmx is not vendored ({HTMX} is missing): run `make setup`, which copies it from "
            "node_modules into the package"
        )
    state = Dashboard(kura, settings or Settings(), guard or Guard(), origins)
    app = FastAPI(title="kura dashboard", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.dashboard = state
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.middleware("http")(_gatekeeper(state))
    app.add_exception_handler(KuraError, _refused)
    app.add_exception_handler(WriteRefused, _write_refused)
    app.add_exception_handler(Exception, _failed)
    _routes(app, state)
    return app


Next = Callable[[Request], Awaitable[Response]]


def _gatekeeper(state: Dashboard) -> Callable[[Request, Next], Awaitable[Response]]:
    """Host check, session from the access token, write-token check, security headers, and a log line without
    the query (the access token travels in one)."""

    async def gate(request: Request, call_next: Next) -> Response:
        started = time.perf_counter()
        response = await _admit(state, request, call_next)
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        static = request.url.path.startswith("/static/") and response.status_code == 200
        response.headers["Cache-Control"] = STATIC_CACHE if static else "no-store"
        elapsed = (time.perf_counter() - started) * 1000
        response.headers["Server-Timing"] = f"render;dur={elapsed:.1f}"
        log.info("%s %s %d %.1f ms", request.method, request.url.path, response.status_code, elapsed)
        return response

    return gate


async def _admit(state: Dashboard, request: Request, call_next: Next) -> Response:
    if not state.origins.allows_host(request.headers.get("host")):
        return PlainTextResponse("this dashboard answers only under its own address", status_code=421)
    if request.url.path.startswith("/static/"):
        return await call_next(request)
    token = request.query_params.get("token")
    if token is not None:
        session = state.guard.login(token)
        if session is None:
            return _unauthorised(state, "that access token is not this dashboard's")
        rest = urlencode([(k, v) for k, v in parse_qsl(request.url.query) if k != "token"])
        response = RedirectResponse(request.url.path + (f"?{rest}" if rest else ""), status_code=303)
        response.set_cookie(SESSION_COOKIE, session, httponly=True, samesite="strict", path="/")
        return response
    session = request.cookies.get(SESSION_COOKIE)
    if not state.guard.is_session(session):
        return _unauthorised(state, "no session: open the address `kura dashboard` printed (it carries the token)")
    return await call_next(request)


class WriteRefused(Exception):
    """A write without its session's token, or from another site's page."""


async def _writer(request: Request) -> None:
    """The check every write route depends on: the session's write token (header or form field) and, when the
    browser names one, this dashboard as the origin.

    Raises:
        WriteRefused: if either is wrong.
    """
    state: Dashboard = request.app.state.dashboard
    if not state.origins.allows_origin(request.headers.get("origin")):
        raise WriteRefused("a write from another site's page is refused")
    sent = request.headers.get(TOKEN_HEADER) or str((await request.form()).get(TOKEN_FIELD) or "")
    if not state.guard.allows_write(request.cookies.get(SESSION_COOKIE), sent):
        log.warning("refused a write without its token: %s", request.url.path)
        raise WriteRefused(
            "refused: this write does not carry the session's write token (reload the page and try again)"
        )


async def _write_refused(request: Request, exc: Exception) -> Response:
    return PlainTextResponse(str(exc), status_code=403)


def _unauthorised(state: Dashboard, message: str) -> Response:
    html = state.env.get_template("unauthorised.html").render(message=message)
    return HTMLResponse(html, status_code=401)


async def _refused(request: Request, exc: Exception) -> Response:
    """A KuraError from a route: the reason, where the action was shown (422 for input, 409 for the chain's no)."""
    state: Dashboard = request.app.state.dashboard
    status = 409 if isinstance(exc, ContractRevertError) else 422
    return state.shown(request, "refused.html", getattr(request.state, "back", "market"), status, message=str(exc))


async def _failed(request: Request, exc: Exception) -> Response:
    """Anything else: a 500 naming the error's kind; the server log has the traceback."""
    state: Dashboard = request.app.state.dashboard
    log.error("%s %s failed", request.method, request.url.path, exc_info=exc)
    return state.shown(
        request,
        "refused.html",
        getattr(request.state, "back", "market"),
        500,
        message=f"the dashboard failed ({type(exc).__name__}); the server log has the details",
    )


def _routes(app: FastAPI, state: Dashboard) -> None:
    writes = [Depends(_writer)]

    @app.get("/")
    def home() -> Response:
        return RedirectResponse("/storage", status_code=303)

    @app.get("/live")
    def live(rev: int = 0) -> Response:
        revision = state.watch.revision()
        if revision == rev:
            return Response(status_code=204)
        html = state.env.get_template("live.html").render(revision=revision)
        return HTMLResponse(html, headers={"HX-Trigger": "chain"})

    @app.get("/dismiss")
    def dismiss() -> Response:
        return HTMLResponse("")

    @app.get("/market/log.csv")
    def log_csv() -> Response:
        return PlainTextResponse(
            state.kura.market.log_csv(),
            media_type="text/csv",
            headers={"Content-Disposition": 'attachment; filename="access-log.csv"'},
        )

    @app.get("/storage/files/{file_id}")
    def download(file_id: str) -> Response:
        raw = file_id_of(file_id)
        name = Path(state.kura.storage.info(raw).name).name or raw.hex()
        folder = tempfile.TemporaryDirectory(prefix="kura-dashboard-get-")
        target = Path(folder.name) / name
        state.kura.storage.get(raw, target)
        return FileResponse(
            target, filename=name, media_type="application/octet-stream", background=BackgroundTask(folder.cleanup)
        )

    @app.post("/storage/upload", dependencies=writes)
    async def upload(request: Request) -> Response:
        request.state.back = "storage"
        form = await request.form()
        sent = form.get("file")
        if not isinstance(sent, UploadFile):
            raise DashboardError("choose a file to store")
        data = await sent.read()
        k, n = _whole(form.get("k"), "k"), _whole(form.get("n"), "n")
        done = state.actions.upload(sent.filename or "", data, k=k, n=n, scheme=str(form.get("scheme") or "msr"))
        return _done(state, request, done, "storage")

    @app.post("/actions/{action}", dependencies=writes)
    async def prepare(action: str, request: Request) -> Response:
        form = await request.form()
        request.state.back = str(form.get("page") or "market")
        sent = form.get("records")
        upload = await sent.read() if isinstance(sent, UploadFile) else None
        fields = {key: value for key, value in form.items() if isinstance(value, str) and key != TOKEN_FIELD}
        session = request.cookies.get(SESSION_COOKIE, "")
        ident, confirmation = state.actions.prepare(session, action, fields, upload)
        return _confirmation(state, request, ident, confirmation, fields.get("page", "market"))

    @app.post("/confirm/{ident}", dependencies=writes)
    async def confirm(ident: str, request: Request) -> Response:
        form = await request.form()
        request.state.back = str(form.get("page") or "market")
        done = state.actions.confirm(request.cookies.get(SESSION_COOKIE, ""), ident)
        return _done(state, request, done, str(form.get("page") or "market"))

    @app.get("/panel/{slug}/{name}")
    def panel(slug: str, name: str, request: Request) -> Response:
        page = PAGES.get(slug)
        if page is None or page.panel(name) is None:
            return _missing(state, request, f"/panel/{slug}/{name}")
        return state.panel(request, page, name)

    @app.get("/{slug}")
    def page(slug: str, request: Request) -> Response:
        page = PAGES.get(slug)
        return _missing(state, request, f"/{slug}") if page is None else state.page(request, page)


def _missing(state: Dashboard, request: Request, path: str) -> Response:
    return state.shown(
        request, "refused.html", "storage", 404, message=f"there is nothing at {path}: the pages are {', '.join(PAGES)}"
    )


def _whole(value: object, name: str) -> int:
    try:
        return int(str(value))
    except ValueError:
        raise DashboardError(f"{name} must be a whole number") from None


def _confirmation(state: Dashboard, request: Request, ident: str, confirmation: Confirmation, back: str) -> Response:
    return state.shown(request, "confirm.html", back, ident=ident, confirmation=confirmation)


def _done(state: Dashboard, request: Request, done: Done, back: str) -> Response:
    log.info("%s sent: %d transaction(s), %d gas", done.action, len(done.gas.transactions), done.gas.gas)
    return state.shown(request, "done.html", back, headers={"HX-Trigger": "chain"}, done=done)
