"""Issue 13: the self-healing network heals on its own, end to end, at the cut-set bound on the wire.

One test per defect the issue names, each written against the code as it was (and failing there):
files not enrolled by ``store put``, a repairer that forgets its challenges when restarted, a repairer
account that cannot commit yet uploads and exits 0, repair traffic of d·β + α relayed through the
repairer in base64, and pure-Shamir files refused. The dead-daemon defect is tested in ``test_devnet``
and ``test_store_cli``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from kura.chain.storage_audits import ChallengeStatus
from kura.codes.params import CodeParams, Scheme
from kura.crypto.share import HEADER_SIZE
from kura.errors import KuraError
from kura.storage.repairer.agent import RepairAgent
from kura.storage.shared.challenges import challenge_share
from kura.storage.shared.remote import registry_peers
from kura.storage.shared.repair_plan import RepairPath
from kura.storage.shared.sharetable import ShareTable
from tests.integration.storage_network import (
    STAKE,
    WINDOW,
    Network,
    advance,
    register_repairer,
    wait_blocks,
)

REPAIRER = 25
STRANGER = 29
"""An account with ether but no registration: it cannot commit repairs."""


def kura(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kura", *args], capture_output=True, text=True, timeout=300, env={**os.environ, **env}
    )


def remote_repairer(net: Network, account: int = REPAIRER, **options: object) -> RepairAgent:
    """A repairer holding no node key: it reaches every node through the address the registry announces."""
    return RepairAgent(
        net.contracts,
        register_repairer(net, account),
        net.client().pool,
        registry_peers(net.contracts, timeout=10.0),
        log=lambda _: None,
        **options,
    )  # type: ignore[arg-type]


def lose(net: Network, table: ShareTable, index: int) -> str:
    """The holder of share ``index`` leaves the network (its share counts as lost at once)."""
    operator = table.entry(index).operator
    net.registry.announce_exit(node=net.agents[operator].operator)
    return operator


def read_back(net: Network, file_id: bytes, folder: Path) -> bytes:
    target = folder / "back"
    net.client().get(file_id, target)
    return target.read_bytes()


# ------------------------------------------------------------------ 1. put enrolls the file


def test_a_file_stored_from_the_command_line_can_be_audited_and_repaired_at_once(net: Network, tmp_path: Path) -> None:
    env = net.cli_env(tmp_path / "state")
    source = tmp_path / "scan.dcm"
    source.write_bytes(os.urandom(40_000))
    put = kura(env, "store", "put", str(source), "--k", "2", "--n", "3", "--account", "4", "--json")
    assert put.returncode == 0, put.stderr
    file_id = json.loads(put.stdout)["file_id"]

    opened = kura(env, "audit", "challenge", file_id, "--index", "1", "--account", "5", "--json")

    assert opened.returncode == 0, opened.stderr
    assert net.audits.challenge_of(json.loads(opened.stdout)["challenge_id"]).status is ChallengeStatus.OPEN
    assert bytes.fromhex(file_id[2:]) in net.contracts.repairs.tables()

    quiet = kura(env, "store", "put", str(source), "--k", "2", "--n", "3", "--account", "4", "--no-enroll", "--json")
    assert quiet.returncode == 0, quiet.stderr
    assert bytes.fromhex(json.loads(quiet.stdout)["file_id"][2:]) not in net.contracts.repairs.tables()


# ------------------------------------------------------------------ 3. a restarted repairer claims the timeouts


def test_a_repairer_restarted_inside_the_answer_window_claims_the_timeout_and_repairs(
    net: Network, tmp_path: Path
) -> None:
    file_id, data, table = net.store(tmp_path, 3, 5, 100_000)
    victim = table.entry(2)
    net.wipe(victim.operator, victim.cid)
    first = remote_repairer(net)
    opened = first.step().challenged
    assert len(opened) == 1
    wait_blocks(net.chain, 3)  # the chunk is drawn: the holder could have answered
    advance(net.chain, WINDOW + 1)

    restarted = remote_repairer(net)  # a new process: nothing of the first one in memory
    report = restarted.step()

    assert report.judged == opened
    assert net.audits.is_share_lost(file_id, 2, victim.operator)
    [outcome] = report.repaired
    assert (outcome.index, outcome.old_node) == (2, victim.operator)
    assert read_back(net, file_id, tmp_path) == data
    env = net.cli_env(tmp_path / "state")
    standing = json.loads(kura(env, "node", "status", victim.operator, "--json").stdout)
    assert standing["record"]["stake"] == STAKE - STAKE // 10 and standing["record"]["failures"] == 1
    assert standing["open_challenges"] == [] and standing["jailed"] is False
    audit = json.loads(kura(env, "audit", "status", str(opened[0]), "--json").stdout)
    assert audit["phase"] == "failed" and audit["challenge"]["node"] == victim.operator


def test_the_repairer_claims_a_timeout_of_a_challenge_someone_else_opened(net: Network, tmp_path: Path) -> None:
    file_id, data, table = net.store(tmp_path, 2, 3, 30_000)
    victim = table.entry(0)
    net.wipe(victim.operator, victim.cid)
    watchdog = challenge_share(net.audits, table, 0, challenger=net.chain.account(5)).challenge_id
    wait_blocks(net.chain, 3)
    env = net.cli_env(tmp_path / "state")
    assert json.loads(kura(env, "audit", "status", str(watchdog), "--json").stdout)["phase"] == "answerable"
    advance(net.chain, WINDOW + 1)
    shown = kura(env, "audit", "status", str(watchdog))
    assert f"claimable — anyone may claim the timeout: `kura audit timeout {watchdog}`" in shown.stdout
    assert json.loads(kura(env, "node", "status", victim.operator, "--json").stdout)["open_challenges"] == [watchdog]

    report = remote_repairer(net).step()

    assert report.judged == [watchdog]
    assert net.audits.challenge_of(watchdog).status is ChallengeStatus.FAILED
    assert [outcome.index for outcome in report.repaired] == [0]
    assert read_back(net, file_id, tmp_path) == data


# ------------------------------------------------------------------ 4. an account that cannot commit is refused


def test_repair_run_with_an_unregistered_account_is_refused_before_any_upload(net: Network, tmp_path: Path) -> None:
    _, _, table = net.store(tmp_path, 2, 3, 30_000)
    lose(net, table, 1)
    env = net.cli_env(tmp_path / "state")
    before = net.pins()

    done = kura(env, "repair", "run", "--once", "--account", str(STRANGER))

    assert done.returncode == 1, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    [line] = done.stderr.strip().splitlines()
    assert line.startswith("error: ") and "not an Active registered node" in line
    assert net.chain.account(STRANGER).address in line
    assert net.pins() == before  # nothing uploaded: no rebuilt share, no share table


def test_repair_run_once_prints_every_repair_and_says_when_there_is_nothing_to_do(net: Network, tmp_path: Path) -> None:
    file_id, data, table = net.store(tmp_path, 2, 3, 30_000)
    env = net.cli_env(tmp_path / "state")
    register_repairer(net, REPAIRER)
    idle = kura(env, "repair", "run", "--once", "--account", str(REPAIRER))
    assert idle.returncode == 0, idle.stderr
    assert idle.stdout.strip() == "nothing to repair: every enrolled file has all its shares"
    lose(net, table, 0)

    done = kura(env, "repair", "run", "--once", "--account", str(REPAIRER))

    assert done.returncode == 0, done.stderr
    # One line per repair, however long (output that is not a terminal is never wrapped).
    [line] = [line for line in done.stdout.splitlines() if line.startswith("repaired share 0 of ")]
    assert len(line) > 80 and line.endswith(" wei)") and "onto 0x" in line
    assert read_back(net, file_id, tmp_path) == data
    again = kura(env, "repair", "run", "--once", "--account", str(REPAIRER), "--json")
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout) == {"challenged": [], "judged": [], "problems": {}, "repaired": []}


# ------------------------------------------------------------------ 5. repair traffic is d·beta on the wire


@pytest.mark.parametrize(("k", "n"), [(3, 5), (2, 4)])
def test_msr_repair_moves_d_beta_bytes_on_the_wire(net: Network, tmp_path: Path, k: int, n: int) -> None:
    file_id, data, table = net.store(tmp_path, k, n, 600_000)
    lose(net, table, n - 1)
    repairer = remote_repairer(net, min_healthy=n)
    before = net.wire_traffic()

    [outcome] = repairer.step().repaired

    wire = net.wire_traffic() - before
    params = CodeParams(Scheme.MSR, k, n)
    body = table.entry(n - 1).size - HEADER_SIZE
    d_beta = params.d * body // params.alpha
    assert outcome.path is RepairPath.MSR and len(outcome.helpers) == params.d
    assert outcome.payload_bytes == d_beta
    # Every byte every repair service sent or received during the round (status lines, headers, chunk
    # framing, the key enrolment and the repairer's requests included), counted at the sockets.
    assert d_beta <= wire.total <= 1.05 * d_beta, (wire, d_beta)
    assert read_back(net, file_id, tmp_path) == data


# ------------------------------------------------------------------ 6. pure-Shamir files are repaired too


def test_a_pure_shamir_file_is_repaired_by_enrolment(net: Network, tmp_path: Path) -> None:
    k, n = 2, 4
    file_id, data, table = net.store(tmp_path, k, n, 20_000, scheme=Scheme.SHAMIR)
    lose(net, table, 3)
    before = net.wire_traffic()

    [outcome] = remote_repairer(net, min_healthy=n).step().repaired

    wire = net.wire_traffic() - before
    body = table.entry(3).size - HEADER_SIZE
    assert outcome.path is RepairPath.SHAMIR and len(outcome.helpers) == k
    assert outcome.payload_bytes == k * body  # k whole shares moved per rebuilt share
    assert k * body <= wire.total <= 1.1 * k * body + 20_000
    assert read_back(net, file_id, tmp_path) == data


def test_a_helper_never_hands_out_a_shamir_share(net: Network, tmp_path: Path) -> None:
    _, _, table = net.store(tmp_path, 2, 3, 5_000, scheme=Scheme.SHAMIR)
    entry = table.entry(0)
    peer = registry_peers(net.contracts, timeout=10.0)[entry.operator]
    with pytest.raises(KuraError, match="Shamir"):
        b"".join(peer.body(entry.cid, table.file_id, 0))
