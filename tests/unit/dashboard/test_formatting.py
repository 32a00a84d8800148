"""How figures read on the pages."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from kura.chain.consent_registry import purpose_id
from kura.dashboard.formatting import duration, epsilon, ether, fraction, iso, purpose_names, short, when
from kura.units import WAD


def test_amounts_read_exactly() -> None:
    assert ether(500_000_000_000_000_000) == "0.5 ETH"
    assert ether(1) == "0.000000000000000001 ETH"
    assert epsilon(500_000) == "0.5" and epsilon(2_000_000) == "2" and epsilon(0) == "0"
    assert fraction(99 * WAD // 100) == "0.99" and fraction(WAD) == "1"


def test_times_are_utc() -> None:
    assert when(0) == "—"
    assert when(1_735_689_600) == "2025-01-01 00:00:00 UTC"
    assert iso(1_735_689_605) == "2025-01-01T00:00:05Z"


@given(st.integers(min_value=0, max_value=10**9))
def test_a_duration_names_at_most_two_units_and_never_overstates(seconds: int) -> None:
    text = duration(seconds)
    parts = text.split()
    assert 2 <= len(parts) <= 4
    sizes = {"d": 86_400, "h": 3_600, "min": 60, "s": 1}
    shown = sum(int(parts[i]) * sizes[parts[i + 1]] for i in range(0, len(parts), 2))
    largest = sizes[parts[1]]
    assert shown <= seconds < shown + (sizes[parts[3]] if len(parts) == 4 else largest)


def test_durations_read_naturally() -> None:
    assert duration(0) == "0 s"
    assert duration(-5) == "0 s"
    assert duration(59) == "59 s"
    assert duration(3 * 86_400 + 5) == "3 d"
    assert duration(2 * 86_400 + 23 * 3_600 + 59 * 60) == "2 d 23 h"
    assert duration(250) == "4 min 10 s"


def test_long_hashes_are_shortened_short_ones_kept() -> None:
    assert short(bytes(range(32))) == "0x000102…1d1e1f"
    assert short("0xabc") == "0xabc"


def test_purpose_codes_are_named_by_their_on_chain_id() -> None:
    assert purpose_names(["HRESCH", "TREAT"]) == {purpose_id("HRESCH"): "HRESCH", purpose_id("TREAT"): "TREAT"}
