"""Starting, finding and stopping the local processes a devnet is made of.

A process is identified by its PID *and* the executable it runs, so a PID reused
by an unrelated program after a crash is never mistaken for ours (or killed).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from kura.errors import DevnetError, PortInUseError

LOOPBACK = "127.0.0.1"

_children: dict[int, subprocess.Popen[bytes]] = {}
"""Processes this Python process started: their liveness comes from ``poll()``, which also reaps
them, instead of ``/proc`` (whose ``cmdline`` can still be empty right after ``exec``)."""


@dataclass(frozen=True)
class ProcessRecord:
    """A process kura started.

    Attributes:
        name: Human name (``anvil``, ``kubo-3``).
        pid: Its process id.
        executable: The binary it runs (checked against ``/proc/<pid>/cmdline``).
        log: File its output goes to.
    """

    name: str
    pid: int
    executable: str
    log: str

    def is_running(self) -> bool:
        """True if the PID is alive, not a zombie, and still runs ``executable``."""
        child = _children.get(self.pid)
        if child is not None:
            return child.poll() is None
        proc = Path(f"/proc/{self.pid}")
        try:
            cmdline = (proc / "cmdline").read_bytes().split(b"\0")
            state = (proc / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except (FileNotFoundError, ProcessLookupError, IndexError):
            return False
        if state in {"Z", "X"}:
            return False
        return bool(cmdline) and os.path.realpath(cmdline[0].decode()) == os.path.realpath(self.executable)

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the process (SIGTERM, then SIGKILL after ``timeout``); a gone process is fine."""
        if not self.is_running():
            return
        for sig, wait in ((signal.SIGTERM, timeout), (signal.SIGKILL, 5.0)):
            try:
                os.kill(self.pid, sig)
            except ProcessLookupError:
                return
            deadline = time.monotonic() + wait
            while time.monotonic() < deadline:
                if not self.is_running():
                    return
                time.sleep(0.05)
        raise DevnetError(f"{self.name} (pid {self.pid}) did not stop after SIGKILL")


def swarm_address(port: int, peer_id: str) -> str:
    """The full multiaddr a peer dials to reach a devnet node."""
    return f"/ip4/{LOOPBACK}/tcp/{port}/p2p/{peer_id}"


def spawn(name: str, argv: Sequence[str], *, log: Path, env: Mapping[str, str] | None = None) -> ProcessRecord:
    """Start ``argv`` detached from the caller's session, its output appended to ``log``.

    Raises:
        DevnetError: if the executable cannot be started.
    """
    log.parent.mkdir(parents=True, exist_ok=True)
    full_env = {**os.environ, **(env or {})}
    with open(log, "ab") as out:
        try:
            child = subprocess.Popen(
                list(argv),
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                env=full_env,
                start_new_session=True,
            )
        except OSError as exc:
            raise DevnetError(f"cannot start {name} ({argv[0]}): {exc}") from exc
    _children[child.pid] = child
    return ProcessRecord(name=name, pid=child.pid, executable=str(argv[0]), log=str(log))


def free_port() -> int:
    """A TCP port on loopback that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        return int(sock.getsockname()[1])


def is_listening(port: int, host: str = LOOPBACK) -> bool:
    """True if something accepts TCP connections on ``host:port``."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.2)
        return sock.connect_ex((host, port)) == 0


def ensure_free(port: int, what: str) -> None:
    """Refuse a port that is already taken.

    Raises:
        PortInUseError: naming the port and what it was meant for.
    """
    if is_listening(port):
        raise PortInUseError(f"port {port} (for {what}) is already in use: pick another port or stop what uses it")


def wait_until(check: Callable[[], bool], *, timeout: float, what: str, process: ProcessRecord | None = None) -> None:
    """Poll ``check`` until it is true.

    Raises:
        DevnetError: on timeout, or at once if ``process`` exits meanwhile (with its log's tail).
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        if process is not None and not process.is_running():
            raise DevnetError(f"{process.name} exited while {what}; last log lines:\n{tail(process.log)}")
        time.sleep(0.05)
    raise DevnetError(f"timed out after {timeout:.0f}s {what}")


def tail(path: str, lines: int = 15) -> str:
    """The last ``lines`` lines of a log file (empty if it does not exist)."""
    try:
        return "\n".join(Path(path).read_text(errors="replace").splitlines()[-lines:])
    except FileNotFoundError:
        return ""
