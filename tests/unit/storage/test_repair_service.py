"""The repair service's edges on loopback: announced endpoints, key check, bad requests, down and slow peers."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import httpx
import pytest
from eth_account import Account
from hypothesis import given
from hypothesis import strategies as st

from kura.crypto import ecies
from kura.errors import ConfigError, IpfsError, RepairPeerError
from kura.ipfs import KuboClient
from kura.storage.endpoint import NodeEndpoint, parse_endpoint
from kura.storage.repair_peer import RepairPeer
from kura.storage.repair_remote import RemotePeer, address_of
from kura.storage.repair_server import RepairServer

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


@pytest.mark.parametrize(("route", "content", "status"), [
    ("header", b"not json", 400),
    ("header", b"[1, 2]", 400),
    ("header", b'{"cid": "x", "index": 0}', 400),  # file_id missing
    ("header", b'{"cid": "x", "file_id": "***", "index": 0}', 400),
    ("header", b'{"cid": "x", "file_id": "AA==", "index": true}', 400),
    ("header", b'{"cid": "x", "file_id": "AA==", "index": 255}', 400),
    ("enroll/start", b'{"cid": "x", "file_id": "AA==", "index": 0, "helpers": [0, 1], "lost": 2, '
                     b'"peer_keys": {"one": "AA=="}}', 400),
    ("enroll/finish", b'{"session": "AA==", "received": {}, "newcomer": "AA=="}', 400),  # not a point
    ("nowhere", b"{}", 404),
    ("header", b"{" + b" " * MAX_BODY + b"}", 413),
])
def test_bad_requests_are_refused(server: RepairServer, route: str, content: bytes, status: int) -> None:
    response = post(server, route, content)
    assert response.status_code == status
    assert response.json()["error"]


def test_unknown_session_is_refused(server: RepairServer) -> None:
    peer = RemotePeer(server.url, OPERATOR)
    with pytest.raises(RepairPeerError, match="409.*unknown or finished"):
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
