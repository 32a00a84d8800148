"""The institution dashboard in a real browser: Debian's chromium, headless, driven by Playwright, against the
session devnet with a small market (kura.devtools.sample_market) and the dashboard of its first hospital.

Every page is loaded and its figures compared with the chain's; each renders within the budget; writes go
through the pages (a purchase, a revocation, a listing, a delivery without JavaScript, a rotation, a withdrawal,
an upload) and their effects appear without a reload; writes without the session's token are refused; no page
or log line holds a key or a patient's record; the screenshots are not blank; forms are labelled and the
keyboard reaches everything; ``kura dashboard`` and ``serve_in_background`` (the demo's way in) start, serve
and stop cleanly.
"""

from __future__ import annotations

import io
import json
import logging
import os
import re
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image
from playwright.sync_api import Browser, Locator, Page, expect

import kura
from kura.chain.client import AccountSource
from kura.chain.consent_registry import purpose_id
from kura.chain.data_market import PurchaseState
from kura.config import DEV_MNEMONIC
from kura.dashboard import RunningDashboard, Settings, serve_in_background
from kura.dashboard.app import PAGES
from kura.devtools.browser import headless_chromium, load
from kura.devtools.sample_market import AS_OF, HOSPITAL, INSTITUTE, NAMES, SALT, SampleMarket
from kura.errors import DashboardError
from kura.market import synthetic

HRESCH = purpose_id("HRESCH")
PHASES = {
    PurchaseState.PAID: "AWAITING_DELIVERY",
    PurchaseState.DELIVERED: "DISPUTE_WINDOW",
    PurchaseState.RELEASED: "RELEASED",
    PurchaseState.DISPUTED: "REFUNDED_WRONG_KEY",
    PurchaseState.RECLAIMED: "REFUNDED_UNDELIVERED",
}
"""The phase the page must show for each chain state while no deadline has passed (they are days away here)."""
SCREENSHOTS = (
    Path(os.environ.get("KURA_DASHBOARD_SCREENSHOTS", "")) if os.environ.get("KURA_DASHBOARD_SCREENSHOTS") else None
)
"""A folder to keep the screenshots in (e.g. for docs/dashboard.png); by default they stay in memory."""


@pytest.fixture(scope="module")
def hospital(sample_market: SampleMarket) -> Iterator[kura.Kura]:
    with kura.connect(sample_market.network, HOSPITAL, nodes="config") as session:
        yield session


@pytest.fixture(scope="module")
def dashboard(hospital: kura.Kura) -> Iterator[RunningDashboard]:
    with serve_in_background(hospital, "127.0.0.1:0", settings=Settings(salt=SALT)) as running:
        yield running


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with headless_chromium() as launched:
        yield launched


@pytest.fixture
def page(browser: Browser, dashboard: RunningDashboard) -> Iterator[Page]:
    """A fresh browser session, logged in through the printed address; fails the test on any console error."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    opened = context.new_page()
    errors: list[str] = []
    opened.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    opened.goto(dashboard.url)
    yield opened
    context.close()
    assert errors == []


def at(dashboard: RunningDashboard, path: str = "") -> str:
    return f"http://127.0.0.1:{dashboard.port}/{path.lstrip('/')}"


def value(locator: Locator) -> int:
    """The machine-readable value of the ``<data>`` element in ``locator``."""
    return int(locator.locator("data").first.get_attribute("value") or "")


def field(row: Locator, name: str) -> Locator:
    return row.locator(f"[data-field={name}]")


def mark(page: Page) -> None:
    """Put a marker in the page's JavaScript state: it survives swaps, not a reload."""
    page.evaluate("() => { window.kuraMarker = 'same document'; }")


def assert_not_reloaded(page: Page) -> None:
    assert page.evaluate("() => window.kuraMarker") == "same document"


def confirm(page: Page, expected: str) -> Locator:
    """Confirm the write shown in the dialog; return the result once shown."""
    expect(page.locator("#confirm-title")).to_be_focused()
    page.get_by_role("button", name="Confirm and send").click()
    done = page.locator("#dialog .done")
    expect(done).to_contain_text(expected, timeout=60_000)
    return done


# ------------------------------------------------------------------- the figures equal the chain's


def check_market(page: Page, k: kura.Kura) -> None:
    market, me = k.contracts.market, k.consent.member_id()
    for listing_id in range(1, market.listing_count() + 1):
        listing = market.listing_of(listing_id)
        terms = market.terms_of(listing_id, listing.version)
        row = page.locator(f"#listing-{listing_id}")
        assert value(field(row, "price")) == terms.price
        assert value(field(row, "sales")) == listing.sales
        assert value(field(row, "snapshot")) == terms.cohort_size
        certificate = field(row, "certificate").locator("data")
        assert [int(certificate.nth(i).get_attribute("value") or "") for i in range(2)] == [
            terms.k_anonymity,
            terms.l_diversity,
        ]
        budget = market.compute_terms_of(listing_id).dataset_epsilon
        if budget:
            assert value(field(row, "budget")) == budget - market.epsilon_spent(listing_id)
    assert value(page.locator("#owed")) == market.payments(k.address)
    log = market.access_log()
    mine = [e for e in log if me in (e.buyer, e.seller)]
    expect(page.locator("#purchases tbody tr")).to_have_count(len(mine))
    for entry in mine:
        purchase = market.purchase_of(entry.purchase_id)
        row = page.locator(f"#purchase-{entry.purchase_id}")
        assert field(row, "phase").get_attribute("data-phase") == PHASES[purchase.state]
        bond = market.terms_of(entry.listing_id, entry.version).bond
        held = {PurchaseState.PAID: entry.price, PurchaseState.DELIVERED: entry.price + bond}.get(purchase.state, 0)
        assert value(field(row, "escrowed")) == held
    expect(page.locator("#access-log tbody tr")).to_have_count(len(log))
    for entry in log:
        assert field(page.locator(f"#log-{entry.purchase_id}"), "state").inner_text() == entry.state.name


def check_storage(page: Page, k: kura.Kura) -> None:
    files = k.storage.ls()
    expect(page.locator("#files tbody tr")).to_have_count(len(files))
    for entry in files:
        record = k.contracts.files.file_of(entry.file_id)
        row = page.locator(f"#file-{entry.file_id.hex()}")
        info = k.storage.info(entry.file_id)
        assert value(field(row, "version")) == record.version
        assert value(field(row, "size")) == info.size
        assert value(field(row, "health").locator("[data-state=healthy]")) == info.health["healthy"] == info.n


def check_consent(page: Page, k: kura.Kura) -> None:
    consent, me = k.contracts.consent, k.consent.member_id()
    latest = consent.latest_snapshot(me, HRESCH)
    expect(page.locator("table.snapshots[data-purpose=HRESCH] tbody tr")).to_have_count(latest)
    for snapshot_id in range(1, latest + 1):
        snapshot = consent.snapshot_of(me, HRESCH, snapshot_id)
        row = page.locator(f"#snapshot-HRESCH-{snapshot_id}")
        assert value(field(row, "cohort")) == snapshot.cohort_size
        current = consent.is_current(me, HRESCH, snapshot_id)
        assert (field(row, "state").inner_text() == "current") == current
    market = k.contracts.market
    for listing_id in range(1, market.listing_count() + 1):
        listing = market.listing_of(listing_id)
        if listing.seller != me:
            continue
        terms = market.terms_of(listing_id, listing.version)
        current = consent.is_current(me, terms.consent_purpose, terms.consent_snapshot)
        assert value(field(page.locator(f"#coverage-{listing_id}"), "usable")) == (terms.cohort_size if current else 0)


def check_compute(page: Page, k: kura.Kura) -> None:
    tasks = k.contracts.tasks
    posted = [i for i in range(1, tasks.task_count() + 1) if tasks.task_of(i).requester == k.address]
    expect(page.locator("#jobs tbody tr")).to_have_count(len(posted))
    for task_id in posted:
        state = field(page.locator(f"#task-{task_id}"), "state").inner_text()
        assert state.startswith(tasks.task_of(task_id).state.name.lower())
    market, me = k.contracts.market, k.consent.member_id()
    bought = [
        log.args
        for log in market.contract.events.ComputeAccessBought().get_logs(from_block=0)
        if me in (log.args.buyer, market.listing_of(log.args.listingId).seller)
    ]
    assert bought
    expect(page.locator("#compute-access tbody tr")).to_have_count(len(bought))
    for args in bought:
        row = page.locator(f"#access-{args.accessId}")
        assert value(field(row, "jobs")) == args.jobs
        assert value(field(row, "left")) == args.jobs


def check_health(page: Page, k: kura.Kura) -> None:
    shown = value(page.locator("#latest-block"))
    assert shown <= k.chain.w3.eth.block_number
    assert k.chain.w3.eth.get_block(shown)["timestamp"] > 0
    expect(page.locator("#agents tbody tr")).to_have_count(len(k.nodes.registered()))
    row = page.locator("#balances tbody tr").first
    assert value(row.locator("td").first) == k.chain.w3.eth.get_balance(k.account.address)


CHECKS: dict[str, Callable[[Page, kura.Kura], None]] = {
    "storage": check_storage,
    "market": check_market,
    "consent": check_consent,
    "compute": check_compute,
    "health": check_health,
}


@pytest.mark.parametrize("slug", list(PAGES))
def test_each_page_shows_the_chains_figures(
    page: Page,
    dashboard: RunningDashboard,
    hospital: kura.Kura,
    slug: str,
    record_property: Callable[[str, object], None],
) -> None:
    """Each page's render time is recorded (``--junitxml`` shows it); the 300 ms target is held by
    ``benchmarks/bench_dashboard.py`` as a ratio to a static page, since absolute times on a shared machine
    make a timed assertion flaky."""
    load(page, at(dashboard, slug))
    record_property("render_ms", load(page, at(dashboard, slug)).total_ms)
    expect(page.get_by_role("link", name=PAGES[slug].title, exact=True)).to_have_attribute("aria-current", "page")
    CHECKS[slug](page, hospital)


# ------------------------------------------------------------------- writes through the pages


def test_a_purchase_through_the_page_appears_without_a_reload(
    page: Page, dashboard: RunningDashboard, sample_market: SampleMarket, hospital: kura.Kura
) -> None:
    market, me = hospital.contracts.market, hospital.consent.member_id()
    page.goto(at(dashboard, "market"))
    mark(page)
    page.get_by_role("button", name=f"Buy listing {sample_market.other_listing}…").click()
    expect(page.locator("#dialog .confirm")).to_contain_text("0.2 ETH")
    done = confirm(page, f"Bought listing {sample_market.other_listing}")

    purchase_id = market.purchase_id_of(sample_market.other_listing, 1, me)
    assert purchase_id and market.purchase_of(purchase_id).state is PurchaseState.PAID
    tx = done.locator("details code").first.text_content() or ""
    gas = int(done.locator("#gas-used").get_attribute("value") or "")
    assert gas == hospital.chain.w3.eth.get_transaction_receipt(tx)["gasUsed"] > 21_000
    expect(field(page.locator(f"#purchase-{purchase_id}"), "phase")).to_have_attribute(
        "data-phase", "AWAITING_DELIVERY"
    )
    expect(page.get_by_role("button", name=f"Buy listing {sample_market.other_listing}…")).to_have_count(0)
    assert_not_reloaded(page)


def test_a_sale_made_elsewhere_appears_without_a_reload(
    page: Page, dashboard: RunningDashboard, sample_market: SampleMarket
) -> None:
    page.goto(at(dashboard, "market"))
    mark(page)
    sales = field(page.locator(f"#listing-{sample_market.other_listing}"), "sales")
    before = value(sales)
    with kura.connect(sample_market.network, INSTITUTE, nodes="config") as institute:
        bought = institute.market.buy(sample_market.other_listing)
    expect(page.locator(f"#log-{bought.purchase_id}")).to_be_visible(timeout=15_000)
    expect(sales.locator("data")).to_have_attribute("value", str(before + 1))
    assert_not_reloaded(page)


def test_a_revocation_through_the_page_makes_the_listing_stale_without_a_reload(
    page: Page, dashboard: RunningDashboard, sample_market: SampleMarket, hospital: kura.Kura
) -> None:
    me = hospital.consent.member_id()
    patient = sample_market.hospital_records.consent.members[0].pseudonym
    page.goto(at(dashboard, "consent"))
    mark(page)
    page.get_by_label("Patient pseudonym (64 hex digits)").fill(patient.hex())
    page.get_by_label("Purpose of use").select_option("HRESCH")
    page.get_by_role("button", name="Prepare the revocation…").click()
    expect(page.locator("#dialog .confirm")).to_contain_text(patient.hex()[:6])
    confirm(page, "Revoked: snapshot(s) 1 touched")

    assert not hospital.contracts.consent.is_current(me, HRESCH, 1)
    expect(page.locator(f".revocation[data-pseudonym='0x{patient.hex()}']")).to_have_count(1)
    coverage = page.locator(f"#coverage-{sample_market.hospital_listing}")
    expect(field(coverage, "usable").locator("data")).to_have_attribute("value", "0")
    expect(field(coverage, "usable")).to_contain_text("revoked")
    assert_not_reloaded(page)


def records() -> dict[str, Any]:
    """A FHIR Bundle of 600 synthetic patients (seed 11: they reach k = 5 and ℓ = 2)."""
    return synthetic.generate(synthetic.PROFILES[next(iter(synthetic.PROFILES))], 600, seed=11, as_of=AS_OF)


def prepare_listing(page: Page, dashboard: RunningDashboard, bundle: dict[str, Any]) -> None:
    """Upload ``bundle`` in the Market page's listing form and prepare the listing (not confirmed)."""
    page.goto(at(dashboard, "market"))
    page.get_by_label("FHIR records (Bundle JSON or NDJSON)").set_input_files(
        files=[{"name": "records.json", "mimeType": "application/json", "buffer": json.dumps(bundle).encode()}]
    )
    page.get_by_label("Title").fill("Adults with diabetes, 2025 extract")
    page.get_by_label("Price per sale (ETH)").fill("0.3")
    page.get_by_label("Extraction day (ages and consents as of; empty: today)").fill(AS_OF.isoformat())
    page.get_by_role("button", name="Prepare the listing…").click()
    expect(page.locator("#dialog .confirm")).to_contain_text("k = 5")


def test_listing_records_through_the_page_commits_consent_and_lists(
    page: Page, dashboard: RunningDashboard, hospital: kura.Kura
) -> None:
    count = hospital.contracts.market.listing_count()
    prepare_listing(page, dashboard, records())
    confirm(page, f"as listing {count + 1}")

    listing = hospital.contracts.market.listing_of(count + 1)
    terms = hospital.contracts.market.terms_of(count + 1, listing.version)
    assert listing.seller == hospital.consent.member_id() and terms.price == kura.to_wei("0.3")
    expect(field(page.locator(f"#listing-{count + 1}"), "price").locator("data")).to_have_attribute(
        "value", str(terms.price)
    )


def test_without_javascript_a_delivery_is_confirmed_on_whole_pages(
    browser: Browser, dashboard: RunningDashboard, sample_market: SampleMarket, hospital: kura.Kura
) -> None:
    context = browser.new_context(java_script_enabled=False)
    plain = context.new_page()
    plain.goto(dashboard.url)
    plain.goto(at(dashboard, "market"))
    plain.get_by_role("button", name=f"Deliver key for purchase {sample_market.waiting_purchase}…").click()
    expect(plain).to_have_url(at(dashboard, "actions/deliver"))
    expect(plain.locator(".confirm")).to_contain_text("Bond locked until the dispute window closes: 0.1 ETH")
    plain.get_by_role("button", name="Confirm and send").click()
    expect(plain.locator(".done")).to_contain_text(f"Delivered the key of purchase {sample_market.waiting_purchase}")
    assert int(plain.locator("#gas-used").get_attribute("value") or "") > 21_000
    assert hospital.contracts.market.purchase_of(sample_market.waiting_purchase).state is PurchaseState.DELIVERED
    context.close()


def test_a_rotation_and_a_withdrawal_through_the_pages_report_their_gas(
    page: Page, dashboard: RunningDashboard, hospital: kura.Kura
) -> None:
    first = hospital.storage.ls()[0].file_id
    version = hospital.contracts.files.file_of(first).version
    page.goto(at(dashboard, "storage"))
    row = page.locator(f"#file-{first.hex()}")
    row.get_by_role("button", name="Rotate key…").click()
    expect(page.locator("#dialog .confirm")).to_contain_text(f"version {version} becomes {version + 1}")
    confirm(page, f"version {version + 1}")
    assert hospital.contracts.files.file_of(first).version == version + 1
    expect(field(row, "version").locator("data")).to_have_attribute("value", str(version + 1))

    owed = hospital.contracts.market.payments(hospital.address)
    balance = hospital.chain.w3.eth.get_balance(hospital.account.address)
    page.goto(at(dashboard, "market"))
    page.get_by_role("button", name=f"Withdraw {kura.format_units(owed)} ETH…").click()
    done = confirm(page, f"Withdrew {kura.format_units(owed)} ETH")
    fee = int(done.locator("data").last.get_attribute("value") or "")
    assert hospital.contracts.market.payments(hospital.address) == 0
    assert hospital.chain.w3.eth.get_balance(hospital.account.address) == balance + owed - fee
    expect(page.locator("#owed data")).to_have_attribute("value", "0")


def test_a_file_stored_from_the_page_downloads_identical(
    page: Page, dashboard: RunningDashboard, hospital: kura.Kura
) -> None:
    data = os.urandom(40_000)
    page.goto(at(dashboard, "storage"))
    page.get_by_label("File", exact=True).set_input_files(
        files=[{"name": "scan.bin", "mimeType": "application/octet-stream", "buffer": data}]
    )
    page.get_by_label("Shares needed (k)").fill("2")
    page.get_by_label("Shares stored (n)").fill("4")
    page.get_by_role("button", name="Store the file").click()
    expect(page.locator("#dialog .done")).to_contain_text("Stored scan.bin", timeout=60_000)
    row = page.locator("#files tbody tr", has_text="scan.bin")
    expect(row).to_have_count(1)
    with page.expect_download() as download:
        row.get_by_role("link", name="Download").click()
    assert Path(download.value.path()).read_bytes() == data
    assert any(hospital.storage.info(f.file_id).name == "scan.bin" for f in hospital.storage.ls())


# ------------------------------------------------------------------- refusals


def test_a_write_without_the_sessions_token_is_refused_and_changes_nothing(
    page: Page, dashboard: RunningDashboard, hospital: kura.Kura
) -> None:
    owed = hospital.contracts.market.payments(hospital.address)
    writes = sorted(route.path for route in dashboard.app.routes if "POST" in getattr(route, "methods", ()))
    assert writes == ["/actions/{action}", "/confirm/{ident}", "/storage/upload"]
    for path in ("/actions/withdraw", "/actions/buy", "/actions/rotate", "/confirm/anything", "/storage/upload"):
        for form in ({"listing": "2"}, {"listing": "2", "token": "0" * 64}, {"listing": "2", "token": ""}):
            refused = page.request.post(at(dashboard, path), form=form)
            assert refused.status == 403, (path, form, refused.text())
    token = page.locator("input[name=token]").first.get_attribute("value") or ""
    foreign = page.request.post(
        at(dashboard, "/actions/buy"), form={"listing": "2", "token": token}, headers={"Origin": "http://evil.example"}
    )
    assert foreign.status == 403
    first = hospital.storage.ls()[0].file_id
    version = hospital.contracts.files.file_of(first).version
    prepared = page.request.post(at(dashboard, "/actions/rotate"), form={"file": first.hex(), "token": token})
    assert prepared.status == 200 and "Confirm: Rotate" in prepared.text()
    assert hospital.contracts.market.payments(hospital.address) == owed
    assert hospital.contracts.files.file_of(first).version == version

    with httpx.Client() as stranger:
        assert stranger.get(at(dashboard, "market")).status_code == 401
        assert stranger.post(at(dashboard, "/actions/withdraw"), data={"token": token}).status_code == 401
        assert stranger.get(at(dashboard, "market"), headers={"Host": "evil.example"}).status_code == 421
        assert stranger.get(at(dashboard, "/?token=not-the-token")).status_code == 401


class Captured(logging.Handler):
    """Every log record, formatted with its traceback if any."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


def test_no_page_answer_or_log_line_holds_a_key_or_a_patients_record(
    page: Page, dashboard: RunningDashboard, hospital: kura.Kura
) -> None:
    bundle = records()
    patients = [entry["resource"] for entry in bundle["entry"] if entry["resource"]["resourceType"] == "Patient"]
    identifying = {ident["value"] for patient in patients for ident in patient["identifier"]}
    identifying |= {f"{' '.join(n['given'])} {n['family']}" for patient in patients for n in patient["name"]}
    identifying |= {phone["value"] for patient in patients for phone in patient.get("telecom", ()) if "value" in phone}
    keys = {hospital.account.key.to_0x_hex()[2:].lower()}
    captured = Captured()
    loggers = [logging.getLogger(name) for name in ("kura", "uvicorn", "uvicorn.error", "fastapi")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.addHandler(captured)
        logger.setLevel(logging.DEBUG)
    try:
        prepare_listing(page, dashboard, bundle)
        shown = [page.content()]
        for slug in PAGES:
            page.goto(at(dashboard, slug))
            shown.append(page.content())
        shown.append(page.request.get(at(dashboard, "market/log.csv")).text())
        shown.append(page.request.post(at(dashboard, "actions/buy"), form={"listing": "1"}).text())
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.removeHandler(captured)
            logger.setLevel(level)
    assert len(identifying) > 3 * len(patients) and any("GET /market" in line for line in captured.lines)
    for text in (*shown, *captured.lines):
        lowered = text.lower()
        assert not [secret for secret in keys if secret in lowered]
        assert not [value for value in identifying if value.lower() in lowered]
    assert not [line for line in captured.lines if dashboard.guard.access_token in line]


# ------------------------------------------------------------------- beside other work (the demo)


def test_served_in_background_it_answers_until_stopped_and_frees_its_port(hospital: kura.Kura) -> None:
    running = serve_in_background(hospital, "127.0.0.1:0")
    try:
        assert running.url.startswith(f"http://127.0.0.1:{running.port}/?token=")
        with pytest.raises(DashboardError, match=f"cannot listen on 127.0.0.1:{running.port}"):
            serve_in_background(hospital, f"127.0.0.1:{running.port}")
        with httpx.Client(follow_redirects=True) as browser:
            shown = browser.get(running.url)
            assert shown.status_code == 200 and shown.url.path == "/storage" and "token" not in str(shown.url)
            assert hospital.address in shown.text
    finally:
        running.stop()
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"http://127.0.0.1:{running.port}/storage", timeout=2)
    with serve_in_background(hospital, f"127.0.0.1:{running.port}") as again:
        assert again.port == running.port and again.url != running.url
        assert httpx.get(running.url).status_code == 401  # the old address's token died with its server


def test_kura_dashboard_serves_the_accounts_institution_until_interrupted(sample_market: SampleMarket) -> None:
    network = sample_market.network
    keys = AccountSource(mnemonic=DEV_MNEMONIC)
    env = {
        **os.environ,
        "COLUMNS": "400",
        "KURA_RPC_URL": network.rpc_url,
        "KURA_IPFS_APIS": ",".join(network.ipfs_apis),
        "KURA_PRIVATE_KEYS": ",".join(keys.get(i).key.to_0x_hex() for i in range(HOSPITAL + 1)),
    }
    command = [
        sys.executable,
        "-m",
        "kura",
        "dashboard",
        "--account",
        str(HOSPITAL),
        "--nodes",
        "config",
        "--listen",
        "127.0.0.1:0",
    ]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    try:
        assert process.stdout is not None
        printed = ""
        while (found := re.search(r"http://127\.0\.0\.1:\d+/\?token=[\w-]+", printed)) is None:
            line = process.stdout.readline()
            assert line, f"kura dashboard ended without an address: {printed}"
            printed += line
        with httpx.Client(follow_redirects=True) as client:
            shown = client.get(found.group(0))
            assert shown.status_code == 200 and shown.url.path == "/storage"
            assert f"<strong>{NAMES[HOSPITAL]}</strong>" in shown.text
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=30) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


# ------------------------------------------------------------------- what people see


@pytest.mark.parametrize("slug", list(PAGES))
def test_screenshots_are_not_blank(page: Page, dashboard: RunningDashboard, slug: str) -> None:
    page.goto(at(dashboard, slug))
    png = page.screenshot(full_page=True)
    if SCREENSHOTS is not None:
        (SCREENSHOTS / f"dashboard-{slug}.png").write_bytes(png)
    image = Image.open(io.BytesIO(png)).convert("RGB")
    width, height = image.size
    assert width == 1280 and height >= 600
    colours = image.resize((width // 4, height // 4)).getcolors(maxcolors=1 << 20) or []
    pixels = sum(n for n, _ in colours)
    inked = sum(n for n, (r, g, b) in colours if r + g + b < 600) / pixels
    assert 0.01 < inked < 0.6, inked
    assert len(colours) > 50


@pytest.mark.parametrize("slug", list(PAGES))
def test_forms_are_labelled_charts_named_and_the_keyboard_starts_at_the_skip_link(
    page: Page, dashboard: RunningDashboard, slug: str
) -> None:
    page.goto(at(dashboard, slug))
    fields = page.locator("main input:not([type=hidden]), main select, main textarea")
    for i in range(fields.count()):
        assert fields.nth(i).evaluate("el => el.labels.length") > 0, fields.nth(i).get_attribute("name")
    charts = page.locator("svg[role=img]")
    for i in range(charts.count()):
        title = charts.nth(i).evaluate("svg => svg.querySelector('title') && svg.querySelector('title').textContent")
        assert title and charts.nth(i).get_attribute("aria-labelledby")
    tables = page.locator("main table")
    for i in range(tables.count()):
        assert tables.nth(i).locator("th").count() > 0
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to content")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#main")).to_be_focused()
