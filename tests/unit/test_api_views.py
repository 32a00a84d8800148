"""The pure rules behind the API's views: where a purchase's escrow stands, and a file's redundancy over time."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from kura.api.market import EscrowPhase, escrow_of
from kura.api.storage import RedundancyPoint, healthy_over_time
from kura.chain.data_market import Purchase, PurchaseState

times = st.integers(min_value=0, max_value=2**64 - 1)
wei = st.integers(min_value=0, max_value=10**24)


def purchase(state: PurchaseState, deliver_by: int, dispute_until: int) -> Purchase:
    return Purchase(1, 1, 1, 2, state, deliver_by, dispute_until, "0x" + "11" * 20, 0, b"")


@given(times, times, wei, wei)
def test_a_paid_purchase_awaits_delivery_until_its_deadline_then_is_reclaimable(
    deliver_by: int, now: int, price: int, bond: int
) -> None:
    phase, held, deadline = escrow_of(purchase(PurchaseState.PAID, deliver_by, 0), price, bond, now)
    assert deadline == deliver_by and held == price
    assert phase is (EscrowPhase.AWAITING_DELIVERY if now <= deliver_by else EscrowPhase.RECLAIMABLE)


@given(times, times, wei, wei)
def test_a_delivered_purchase_holds_price_and_bond_through_the_dispute_window_then_is_releasable(
    dispute_until: int, now: int, price: int, bond: int
) -> None:
    phase, held, deadline = escrow_of(purchase(PurchaseState.DELIVERED, 0, dispute_until), price, bond, now)
    assert deadline == dispute_until and held == price + bond
    assert phase is (EscrowPhase.DISPUTE_WINDOW if now <= dispute_until else EscrowPhase.RELEASABLE)


@given(st.sampled_from([PurchaseState.RELEASED, PurchaseState.DISPUTED, PurchaseState.RECLAIMED]), times, times, wei)
def test_a_settled_purchase_holds_nothing_and_has_no_deadline(
    state: PurchaseState, deadline: int, now: int, price: int
) -> None:
    phase, held, until = escrow_of(purchase(state, deadline, deadline), price, price, now)
    assert (held, until) == (0, 0)
    assert (
        phase
        is {
            PurchaseState.RELEASED: EscrowPhase.RELEASED,
            PurchaseState.DISPUTED: EscrowPhase.REFUNDED_WRONG_KEY,
            PurchaseState.RECLAIMED: EscrowPhase.REFUNDED_UNDELIVERED,
        }[state]
    )


changes = st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 7), st.booleans()), max_size=30)


@given(st.integers(1, 8), changes)
def test_healthy_shares_are_n_less_the_shares_whose_last_event_was_a_loss(
    n: int, events: list[tuple[int, int, bool]]
) -> None:
    events = [(t, index % n, lost) for t, index, lost in sorted(events)]
    points = healthy_over_time(n, 5, events)
    assert points[0] == RedundancyPoint(5, n) and len(points) == len(events) + 1
    for seen, point in enumerate(points[1:], start=1):
        last: dict[int, bool] = {}
        for _, index, lost in events[:seen]:
            last[index] = lost
        assert point.healthy == n - sum(last.values())
        assert 0 <= point.healthy <= n


def test_a_repair_of_a_share_never_counted_lost_changes_nothing() -> None:
    assert [p.healthy for p in healthy_over_time(5, 0, [(1, 2, False), (2, 2, True), (3, 2, True), (4, 2, False)])] == [
        5,
        5,
        4,
        4,
        5,
    ]
