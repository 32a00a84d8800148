"""Who may use the dashboard: the access token, sessions, write tokens, and the names it answers to."""

from __future__ import annotations

import pytest

from kura.dashboard.security import Guard, Origins
from kura.dashboard.server import Listen
from kura.errors import DashboardError


def test_only_the_access_token_opens_a_session() -> None:
    guard = Guard()
    assert guard.login("wrong") is None
    assert guard.login(guard.access_token[:-1]) is None
    session = guard.login(guard.access_token)
    assert session and guard.is_session(session)
    assert not guard.is_session("forged") and not guard.is_session(None)


def test_a_write_needs_its_own_sessions_token() -> None:
    guard = Guard()
    first, second = guard.login(guard.access_token), guard.login(guard.access_token)
    assert first and second and first != second
    assert guard.allows_write(first, guard.write_token(first))
    assert not guard.allows_write(first, guard.write_token(second))
    assert not guard.allows_write(first, "")
    assert not guard.allows_write(first, None)
    assert not guard.allows_write("forged", guard.write_token("forged"))
    assert not guard.allows_write(None, guard.write_token(first))


def test_two_dashboards_never_share_tokens() -> None:
    one, other = Guard(), Guard()
    assert one.access_token != other.access_token
    session = one.login(one.access_token)
    assert session and one.write_token(session) != other.write_token(session)


def test_a_loopback_dashboard_answers_to_every_loopback_name_and_no_other() -> None:
    origins = Origins.of("127.0.0.1", 8080)
    for host in ("127.0.0.1:8080", "localhost:8080", "[::1]:8080", "LOCALHOST:8080"):
        assert origins.allows_host(host), host
    for host in ("127.0.0.1:8081", "evil.example:8080", "127.0.0.1.nip.io:8080", "", None):
        assert not origins.allows_host(host), host
    assert origins.allows_origin(None) and origins.allows_origin("http://localhost:8080")
    assert not origins.allows_origin("http://evil.example:8080")
    assert not origins.allows_origin("https://127.0.0.1:8080")
    assert not origins.allows_origin("null")


def test_a_dashboard_on_another_address_answers_only_to_it() -> None:
    origins = Origins.of("10.0.0.5", 9000)
    assert origins.allows_host("10.0.0.5:9000")
    assert not origins.allows_host("localhost:9000")


@pytest.mark.parametrize(
    ("text", "host", "port", "loopback"),
    [
        ("127.0.0.1:8080", "127.0.0.1", 8080, True),
        ("localhost:0", "localhost", 0, True),
        ("[::1]:9000", "::1", 9000, True),
        ("10.0.0.5:8080", "10.0.0.5", 8080, False),
    ],
)
def test_listen_addresses_parse(text: str, host: str, port: int, loopback: bool) -> None:
    listen = Listen.parse(text)
    assert (listen.host, listen.port, listen.loopback) == (host, port, loopback)


@pytest.mark.parametrize("text", ["8080", "127.0.0.1", ":8080", "127.0.0.1:http", "127.0.0.1:70000"])
def test_bad_listen_addresses_are_refused(text: str) -> None:
    with pytest.raises(DashboardError, match="HOST:PORT"):
        Listen.parse(text)


@pytest.mark.parametrize("text", ["0.0.0.0:8080", "[::]:8080", "*:8080"])
def test_every_interface_is_refused_for_the_address_browsers_use(text: str) -> None:
    with pytest.raises(DashboardError, match="names every interface"):
        Listen.parse(text)
