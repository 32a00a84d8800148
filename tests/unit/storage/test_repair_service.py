"""The repair service's edges on loopback: announced endpoints, key check, bad requests, down and slow peers,
streamed replies (whole, or cut midway), helper failures named across the wire, and the byte counters."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import replace

import httpx
import pytest
from eth_account import Account
from hypothesis import given
from hypothesis import strategies as st

from kura.codes.params import CodeParams, Scheme
from kura.crypto import ecies
from kura.crypto.share import ShareHeader
from kura.errors import CodecError, ConfigError, HelperFailedError, IpfsError, RepairPeerError, StorageError
from kura.ipfs import KuboClient
from kura.storage.node.duties import RepairPeer
from kura.storage.node.server import RepairServer
from kura.storage.shared.endpoint import NodeEndpoint, parse_endpoint
from kura.storage.shared.remote import RemotePeer, address_of
from kura.storage.shared.repair_plan import HelperRef, RebuildPlan, Rebuilt, RepairPath

SECRET = bytes(range(1, 33))
OPERATOR = Account.from_key(SECRET).address
MAX_BODY = 4096
url_text = st.text(st.characters(blacklist_categories=("Z", "C")), min_size=1, max_size=40)


@given(url_text, st.one_of(st.none(), url_text))
def test_endpoint_round_trips(kubo: str, repair: str | None) -> None:
    assert parse_endpoint(NodeEndpoint(kubo, repair).encode()) == NodeEndpoint(kubo, repair)


def test_endpoint_forms() -> None:
    assert parse_endpoint("http://127.0.0.1:5001") == NodeEndpoint("http://127.0.0.1:5001")
    assert NodeEndpoint("http://a:1", "http://b:2").encode() == "http://a:1 repair=http://b:2"
    assert parse_endpoint("http://a:1 junk repair= repair=http://b:2") == NodeEndpoint("http://a:1", "http://b:2")
    assert parse_endpoint("") == NodeEndpoint("")
    with pytest.raises(ConfigError):
        NodeEndpoint("http://a:1", "http://b :2").encode()
    with pytest.raises(ConfigError):
        NodeEndpoint("").encode()


@pytest.fixture
def server() -> Iterator[RepairServer]:
    dead_kubo = KuboClient("http://127.0.0.1:9", timeout=1.0)  # nothing listens on the discard port
    with RepairServer(RepairPeer(dead_kubo, ecies.load_private_key(SECRET)), max_body=MAX_BODY, timeout=2.0) as srv:
        yield srv


def post(server: RepairServer, route: str, content: bytes) -> httpx.Response:
    return httpx.post(f"{server.url}/v1/{route}", content=content, timeout=5.0)


def test_public_key_is_checked_against_the_operator(server: RepairServer) -> None:
    assert address_of(RemotePeer(server.url, OPERATOR).public_key) == OPERATOR
    with pytest.raises(RepairPeerError, match="holds the key of"):
        _ = RemotePeer(server.url, Account.from_key(bytes(31) + b"\x07").address).public_key


@pytest.mark.parametrize(
    ("route", "content", "status"),
    [
        ("header", b"not json", 400),
        ("header", b"[1, 2]", 400),
        ("header", b'{"cid": "x", "index": 0}', 400),  # file_id missing
        ("header", b'{"cid": "x", "file_id": "***", "index": 0}', 400),
        ("header", b'{"cid": "x", "file_id": "AA==", "index": true}', 400),
        ("header", b'{"cid": "x", "file_id": "AA==", "index": 255}', 400),
        (
            "enroll/start",
            b'{"cid": "x", "file_id": "AA==", "index": 0, "helpers": [0, 1], "lost": 2, "peer_keys": {"one": "AA=="}}',
            400,
        ),
        ("enroll/finish", b'{"session": "AA==", "received": {}, "newcomer": "AA=="}', 400),  # not a point
        ("nowhere", b"{}", 404),
        ("header", b"{" + b" " * MAX_BODY + b"}", 413),
    ],
)
def test_bad_requests_are_refused(server: RepairServer, route: str, content: bytes, status: int) -> None:
    response = post(server, route, content)
    assert response.status_code == status
    assert response.json()["error"]


def test_unknown_session_is_refused(server: RepairServer) -> None:
    peer = RemotePeer(server.url, OPERATOR)
    with pytest.raises(RepairPeerError, match=r"409.*unknown or finished"):
        peer.finish_enrollment(bytes(16), {}, peer.public_key)


def test_failing_kubo_is_an_ipfs_error(server: RepairServer) -> None:
    with pytest.raises(IpfsError, match="502"):
        RemotePeer(server.url, OPERATOR).header("bafy", bytes(32), 0)


def test_down_peer_is_a_repair_peer_error(server: RepairServer) -> None:
    url = server.url
    server.close()
    with pytest.raises(RepairPeerError, match="did not answer"):
        RemotePeer(url, OPERATOR, timeout=1.0).holds("bafy")


def test_silent_peer_times_out() -> None:
    with socket.create_server(("127.0.0.1", 0)) as silent:  # accepts connections, never answers
        port = silent.getsockname()[1]
        with pytest.raises(RepairPeerError, match="ReadTimeout"):
            RemotePeer(f"http://127.0.0.1:{port}", OPERATOR, timeout=0.3).holds("bafy")


def test_oversize_reply_is_refused(server: RepairServer) -> None:
    with pytest.raises(RepairPeerError, match="reply over 10 bytes"):
        _ = RemotePeer(server.url, OPERATOR, max_reply=10).public_key


CHUNKS = [bytes([i]) * (100_000 + i) for i in range(5)]


class ScriptedPeer(RepairPeer):
    """A node whose Kubo is down but whose data routes follow a script: a whole stream, a stream that breaks
    after two chunks, a newcomer that names a failed helper."""

    def symbols(self, cid: str, file_id: bytes, index: int, lost: int) -> Iterator[bytes]:
        yield from CHUNKS
        if lost == 1:
            raise IpfsError("the node's Kubo died mid-share")

    def rebuild(self, plan: RebuildPlan) -> Rebuilt:
        raise HelperFailedError(plan.helpers[0].index, plan.helpers[0].operator, "its stream ended early")


@pytest.fixture
def scripted() -> Iterator[RepairServer]:
    dead_kubo = KuboClient("http://127.0.0.1:9", timeout=1.0)
    with RepairServer(ScriptedPeer(dead_kubo, ecies.load_private_key(SECRET)), timeout=2.0) as srv:
        yield srv


def test_a_stream_arrives_whole_and_is_counted_on_the_socket(scripted: RepairServer) -> None:
    received = b"".join(RemotePeer(scripted.url, OPERATOR).symbols("bafy", bytes(32), 2, 0))
    assert received == b"".join(CHUNKS)
    sent = scripted.traffic()["symbols"]["sent"]
    assert len(received) < sent < len(received) + 1_000  # status line, headers and chunk framing on top
    assert RemotePeer(scripted.url, OPERATOR).traffic()["symbols"]["sent"] == sent


def test_a_stream_cut_midway_is_an_error_not_a_short_success(scripted: RepairServer) -> None:
    stream = RemotePeer(scripted.url, OPERATOR).symbols("bafy", bytes(32), 2, 1)
    got = bytearray()
    with pytest.raises(RepairPeerError, match="did not answer symbols"):
        for chunk in stream:
            got += chunk
    assert b"".join(CHUNKS).startswith(bytes(got))  # whatever came is a prefix; the end never did


def test_a_stream_that_fails_before_its_first_byte_gets_a_status(server: RepairServer) -> None:
    with pytest.raises(IpfsError, match="502"):
        b"".join(RemotePeer(server.url, OPERATOR).symbols("bafy", bytes(32), 0, 1))


def test_a_newcomer_names_the_helper_it_could_not_pull_from(scripted: RepairServer) -> None:
    template = ShareHeader(CodeParams(Scheme.MSR, 2, 3), 0, bytes(32), 10, 10, 10, 4, bytes(7), bytes(32))
    plan = RebuildPlan(
        bytes(32),
        2,
        RepairPath.MSR,
        template,
        bytes(32),
        (HelperRef(1, OPERATOR, "bafy"), HelperRef(0, OPERATOR, "bafz")),
        (b"sum",),
    )
    with pytest.raises(HelperFailedError, match=r"424.*ended early") as failed:
        RemotePeer(scripted.url, OPERATOR).rebuild(plan)
    assert (failed.value.index, failed.value.operator) == (1, OPERATOR)


def test_a_rebuild_plan_round_trips_its_wire_form() -> None:
    template = ShareHeader(CodeParams(Scheme.SHAMIR, 2, 4), 1, bytes(range(32)), 7, 7, 7, 0, bytes(7), bytes(32))
    plan = RebuildPlan(
        bytes(range(32)),
        3,
        RepairPath.SHAMIR,
        template,
        b"\x09" * 32,
        (HelperRef(0, OPERATOR, "bafy", b"s" * 16), HelperRef(2, OPERATOR, "bafz", b"t" * 16)),
        (b"one", b"two"),
    )
    assert RebuildPlan.from_json(plan.to_json()) == plan


def _plan() -> RebuildPlan:
    template = ShareHeader(CodeParams(Scheme.MSR, 2, 3), 0, bytes(32), 10, 10, 10, 4, bytes(7), bytes(32))
    return RebuildPlan(
        bytes(32),
        2,
        RepairPath.MSR,
        template,
        bytes(32),
        (HelperRef(1, OPERATOR, "bafy"), HelperRef(0, OPERATOR, "bafz")),
        (b"sum",),
    )


def test_a_plan_names_its_signer_and_any_change_breaks_the_signature() -> None:
    repairer = Account.from_key(bytes(31) + b"\x05")
    signed = _plan().signed(repairer)
    assert signed.signer() == repairer.address
    assert RebuildPlan.from_json(signed.to_json()).signer() == repairer.address
    assert replace(signed, index=1).signer() != repairer.address
    with pytest.raises(CodecError, match="no valid signature"):
        _plan().signer()


def test_a_node_rebuilds_only_for_an_active_signer() -> None:
    dead_kubo = KuboClient("http://127.0.0.1:9", timeout=1.0)
    active = Account.from_key(bytes(31) + b"\x05")
    node = RepairPeer(dead_kubo, ecies.load_private_key(SECRET), authorize=lambda address: address == active.address)
    stranger = Account.from_key(bytes(31) + b"\x06")
    with pytest.raises(StorageError, match=f"signed by {stranger.address}, which is not an Active registered node"):
        node.rebuild(_plan().signed(stranger))
    with RepairServer(node, timeout=2.0) as server:
        with pytest.raises(RepairPeerError, match=r"409.*not an Active registered node"):
            RemotePeer(server.url, OPERATOR).rebuild(_plan().signed(stranger))
        with pytest.raises(RepairPeerError, match=r"400.*no valid signature"):
            RemotePeer(server.url, OPERATOR).rebuild(_plan())
