"""AuditPool: the seats auditors are drawn from, and a draw that is a textbook Fisher–Yates walk over the seats
as they stood at a past block."""

from __future__ import annotations

import pytest
from eth_abi import encode as abi_encode
from eth_utils import keccak, to_checksum_address
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from web3.contract import Contract

from kura.chain.client import Chain
from kura.devtools.contracts import build
from tests.contracts.expect import reverts

BATCH = 256
"""Members ``fill`` adds per transaction: about 11 M gas, within a block."""
fixture_ok = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture(scope="module", autouse=True)
def built() -> None:
    """The harness is a test contract: nothing else in the session may have built it yet."""
    build()


def address(n: int) -> str:
    """The ``n``-th address ``fill`` adds (from 1)."""
    return to_checksum_address((2**100 + n).to_bytes(20, "big"))


def deploy(chain: Chain) -> Contract:
    return chain.contract("AuditPoolHarness", chain.deploy("AuditPoolHarness", sender=chain.account(0)).address)


def fisher_yates(seats: list[str], seed: bytes, want: int, eligible: set[str], looks: int | None = None) -> list[str]:
    """Swap position i with i + keccak256(seed, i) mod (n - i), look at position i, keep its member if eligible."""
    order = list(seats)
    picked: list[str] = []
    for i in range(min(len(order), len(order) if looks is None else looks)):
        if len(picked) == want:
            break
        j = i + int.from_bytes(keccak(abi_encode(["bytes32", "uint256"], [seed, i])), "big") % (len(order) - i)
        order[i], order[j] = order[j], order[i]
        if order[i] in eligible:
            picked.append(order[i])
    return picked


def seats(chain: Chain, pool: Contract) -> list[tuple[str, int]]:
    nodes, joined = chain.call(pool.functions.seats())
    return list(zip(nodes, joined, strict=True))


@fixture_ok
@given(
    size=st.integers(0, 12),
    want=st.integers(0, 14),
    seed=st.binary(min_size=32, max_size=32),
    excluded=st.sets(st.integers(1, 16)),
    left=st.sets(st.integers(1, 12), max_size=4),
    rejoin=st.integers(0, 4),
    looks=st.integers(0, 20),
)
def test_the_draw_is_a_fisher_yates_walk_over_the_seats_of_eligible_members(
    chain: Chain, size: int, want: int, seed: bytes, excluded: set[int], left: set[int], rejoin: int, looks: int
) -> None:
    pool = deploy(chain)
    account = chain.account(0)
    chain.transact(pool.functions.fill(size), sender=account)
    for n in sorted(left & set(range(1, size + 1))):
        chain.transact(pool.functions.remove(address(n)), sender=account)
    chain.transact(pool.functions.fill(rejoin), sender=account)
    chain.transact(pool.functions.exclude([address(n) for n in excluded]), sender=account)
    now = chain.w3.eth.block_number
    nodes = [node for node, _ in seats(chain, pool)]
    members = sorted(address(n) for n in range(1, size + rejoin + 1) if n > size or n not in left)
    assert sorted(chain.call(pool.functions.members())) == sorted(node for node in nodes if int(node, 16)) == members
    eligible = set(members) - {address(n) for n in excluded}
    drawn = chain.call(pool.functions.draw(seed, want, len(nodes), now, looks))
    assert drawn == fisher_yates(nodes, seed, want, eligible, looks)
    assert len(set(drawn)) == len(drawn) <= min(want, len(eligible))


def test_the_draw_sees_only_the_seats_noted_and_members_seated_by_then(chain: Chain) -> None:
    pool = deploy(chain)
    account = chain.account(0)
    chain.transact(pool.functions.fill(6), sender=account)
    noted_block, noted_size = chain.w3.eth.block_number, 6
    chain.transact(pool.functions.remove(address(2)), sender=account)
    chain.transact(pool.functions.fill(3), sender=account)  # the first takes seat 1 (the one 2 left), two go last
    assert [node for node, _ in seats(chain, pool)] == [address(n) for n in (1, 7, 3, 4, 5, 6, 8, 9)]
    assert seats(chain, pool)[1][1] > noted_block
    seed = keccak(b"seed")
    drawn = chain.call(pool.functions.draw(seed, 8, noted_size, noted_block, 64))
    assert sorted(drawn) == sorted(address(n) for n in (1, 3, 4, 5, 6))
    nodes = [node for node, _ in seats(chain, pool)][:noted_size]
    assert drawn == fisher_yates(nodes, seed, 8, {address(n) for n in (1, 3, 4, 5, 6)})


def test_leaving_empties_a_seat_moves_nobody_and_a_joiner_takes_the_last_emptied(chain: Chain) -> None:
    pool = deploy(chain)
    account = chain.account(0)
    chain.transact(pool.functions.fill(4), sender=account)
    with reverts("AlreadyInPool") as caught:
        chain.transact(pool.functions.add(address(2)), sender=account)
    assert caught.value.args_by_name == {"node": address(2)}
    chain.transact(pool.functions.remove(address(2)), sender=account)
    chain.transact(pool.functions.remove(address(3)), sender=account)
    zero = "0x" + "00" * 20
    assert [node for node, _ in seats(chain, pool)] == [address(1), zero, zero, address(4)]
    assert chain.call(pool.functions.members()) == [address(1), address(4)]
    for gone in (2, 3, 9):
        with reverts("NotInPool"):
            chain.transact(pool.functions.remove(address(gone)), sender=account)
    chain.transact(pool.functions.add(address(2)), sender=account)
    assert [node for node, _ in seats(chain, pool)] == [address(1), zero, address(2), address(4)]


def test_a_full_pool_refuses_one_more(chain: Chain) -> None:
    pool = deploy(chain)
    size = chain.call(pool.functions.maxSize())
    for _ in range(size // BATCH):
        chain.transact(pool.functions.fill(BATCH), sender=chain.account(0))
    assert len(chain.call(pool.functions.members())) == size == 1024
    chain.transact(pool.functions.remove(address(7)), sender=chain.account(0))
    chain.transact(pool.functions.add(address(7)), sender=chain.account(0))  # a freed seat is reused
    with reverts("PoolFull") as caught:
        chain.transact(pool.functions.add(address(size + 1)), sender=chain.account(0))
    assert caught.value.args_by_name == {"size": size}
