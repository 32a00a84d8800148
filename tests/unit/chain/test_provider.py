"""The kept-alive JSON-RPC transport, against a small HTTP server on loopback that records each request."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from web3.types import RPCEndpoint

from kura.chain.provider import KeepAliveHTTPProvider
from kura.errors import ChainError, ConfigError


@dataclass
class Behaviour:
    """What the server does: answer with ``status``, and hang up after each answer if ``hang_up``."""

    status: int = 200
    hang_up: bool = False
    requests: list[tuple[int, str]] = field(default_factory=list)
    hung_up: threading.Event = field(default_factory=threading.Event)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def do_POST(self) -> None:
        request = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        behaviour = self.server.behaviour
        behaviour.requests.append((self.client_address[1], request["method"]))
        body = json.dumps({"jsonrpc": "2.0", "id": request["id"], "result": len(behaviour.requests)}).encode()
        self.send_response(behaviour.status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        self.close_connection = behaviour.hang_up

    def log_message(self, *args: Any) -> None:
        """Quiet."""


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, behaviour: Behaviour) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.behaviour = behaviour

    def shutdown_request(self, request: Any) -> None:
        super().shutdown_request(request)
        self.behaviour.hung_up.set()


@pytest.fixture
def node() -> Iterator[tuple[str, Behaviour]]:
    behaviour = Behaviour()
    server = _Server(behaviour)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/rpc", behaviour
    finally:
        server.shutdown()
        server.server_close()


def call(provider: KeepAliveHTTPProvider, method: str) -> Any:
    return provider.make_request(RPCEndpoint(method), [])["result"]


def test_one_thread_reuses_one_connection(node: tuple[str, Behaviour]) -> None:
    url, behaviour = node
    provider = KeepAliveHTTPProvider(url)
    assert [call(provider, "eth_chainId") for _ in range(3)] == [1, 2, 3]
    assert len({port for port, _ in behaviour.requests}) == 1


def test_each_thread_has_its_own_connection(node: tuple[str, Behaviour]) -> None:
    url, behaviour = node
    provider = KeepAliveHTTPProvider(url)
    call(provider, "eth_chainId")
    worker = threading.Thread(target=call, args=(provider, "eth_blockNumber"))
    worker.start()
    worker.join()
    call(provider, "eth_chainId")
    ports = [port for port, _ in behaviour.requests]
    assert ports[0] == ports[2] != ports[1]


def test_a_connection_the_node_closed_is_replaced_and_no_request_is_sent_twice(node: tuple[str, Behaviour]) -> None:
    url, behaviour = node
    behaviour.hang_up = True
    provider = KeepAliveHTTPProvider(url)
    call(provider, "eth_chainId")
    assert behaviour.hung_up.wait(timeout=5)
    assert call(provider, "eth_sendRawTransaction") == 2
    assert [method for _, method in behaviour.requests] == ["eth_chainId", "eth_sendRawTransaction"]
    assert behaviour.requests[0][0] != behaviour.requests[1][0]


def test_an_http_error_names_the_node_and_the_status(node: tuple[str, Behaviour]) -> None:
    url, behaviour = node
    behaviour.status = 503
    with pytest.raises(ChainError, match=r"answered eth_chainId with HTTP 503"):
        call(KeepAliveHTTPProvider(url), "eth_chainId")


def test_a_node_that_is_not_there_raises_a_connection_error() -> None:
    with pytest.raises(ConnectionRefusedError):
        call(KeepAliveHTTPProvider("http://127.0.0.1:9", timeout=2), "eth_chainId")


@pytest.mark.parametrize("url", ["127.0.0.1:8545", "ws://127.0.0.1:8545", "http://"])
def test_a_url_that_is_not_http_is_refused(url: str) -> None:
    with pytest.raises(ConfigError, match="is not an http"):
        KeepAliveHTTPProvider(url)
