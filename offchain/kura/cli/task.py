"""``kura task``: post WebAssembly compute tasks, follow them, and fetch their verified results."""

from __future__ import annotations

from pathlib import Path

import typer

from kura.chain.task_market import WAD, Task
from kura.cli._compute import ACCOUNT, IPFS_NODE, session, to_ether, to_wei
from kura.cli._context import JSON, NETWORK
from kura.cli._output import emit
from kura.compute import tasks
from kura.compute.requester import TaskTerms, fetch_result, submit
from kura.compute.sandbox import DEFAULT_FUEL
from kura.errors import ConfigError

app = typer.Typer(help="Compute tasks: escrowed, audited by credibility-weighted consensus, verified on IPFS.",
                  no_args_is_help=True)

TASK_ID = typer.Argument(..., min=1, help="The task id printed by `kura task submit`.")


def _module_bytes(module: str) -> bytes:
    path = Path(module)
    if path.is_file():
        return path.read_bytes()
    if module in tasks.TASKS:
        return tasks.load(module)
    raise ConfigError(f"MODULE {module!r} is neither a file nor a shipped task ({', '.join(sorted(tasks.TASKS))})")


@app.command("submit")
def submit_task(
    module: str = typer.Argument(..., help="A .wasm file, or the name of a shipped task (matmul, textstats, ...)."),
    input_path: Path = typer.Argument(..., exists=True, dir_okay=False, readable=True, metavar="INPUT",
                                      help="File whose bytes are the task's input."),
    reward: str = typer.Option(..., "--reward", help="Ether paid to the compute node if its answer is accepted."),
    auditors: int = typer.Option(3, "--auditors", "-m", min=1, max=255, help="Auditors drawn per round."),
    audit_fee: str = typer.Option("0", "--audit-fee", help="Ether per auditor whose answer is accepted."),
    theta: float = typer.Option(0.99, "--theta", min=0.5, max=1.0, help="Credibility needed to accept a result."),
    fuel: int = typer.Option(DEFAULT_FUEL, "--fuel", min=1, help="Fuel limit of every run."),
    confidential: bool = typer.Option(False, "--confidential",
                                      help="Nodes upload the output encrypted to the requester account's key."),
    network: str | None = NETWORK, account: int = ACCOUNT, ipfs_node: int | None = IPFS_NODE, as_json: bool = JSON,
) -> None:
    """Publish MODULE and INPUT on IPFS and post the task, escrowing the reward and the audit budget."""
    terms = TaskTerms(reward=to_wei(reward), auditors=auditors, audit_fee=to_wei(audit_fee),
                      theta=int(round(theta * 10**6)) * (WAD // 10**6), fuel=fuel, confidential=confidential)
    with session(network, account, ipfs_node) as s:
        task_id = submit(s.market, s.ipfs, _module_bytes(module), input_path.read_bytes(), terms, requester=s.account)
        task = s.market.task_of(task_id)
    emit(_describe(task), as_json=as_json, text=f"[green]posted[/] task {task_id} (module {task.module_cid})")


@app.command()
def status(task_id: int = TASK_ID, network: str | None = NETWORK, account: int = ACCOUNT,
           as_json: bool = JSON) -> None:
    """Show TASK_ID: state, worker, auditors, deadlines, reveals and the accepted result."""
    with session(network, account) as s:
        task = s.market.task_of(task_id)
        drawn = s.market.auditors_of(task_id)
        reveals = s.market.reveals(task)
    summary = _describe(task)
    data = summary | {
        "auditors_drawn": drawn,
        "reveals": [{"node": r.node, "result": "0x" + r.result.hex(), "output_cid": r.output_cid} for r in reveals],
    }
    text = (f"task {task_id}: {task.state.name} (round {task.round}), worker {summary['worker'] or '-'}, "
            f"reward {summary['reward_eth']} ETH, {len(drawn)} auditors drawn, {len(reveals)} reveals"
            + (f", result {summary['result']}" if summary["result"] else ""))
    emit(data, as_json=as_json, text=text)


@app.command()
def result(
    task_id: int = TASK_ID,
    output: Path = typer.Option(..., "--output", "-o", help="Where to write the result bytes."),
    network: str | None = NETWORK, account: int = ACCOUNT, ipfs_node: int | None = IPFS_NODE, as_json: bool = JSON,
) -> None:
    """Fetch the accepted output of TASK_ID from IPFS, check it against the hash on chain, and write it.

    A confidential task's output is decrypted with --account's key, which must be the requester's.
    """
    with session(network, account, ipfs_node) as s:
        data = fetch_result(s.market, s.ipfs, task_id, requester=s.account)
    output.write_bytes(data)
    emit({"task_id": task_id, "path": str(output), "size": len(data)}, as_json=as_json,
         text=f"[green]wrote[/] {output} ({len(data):,} bytes, verified against the accepted result)")


def _describe(task: Task) -> dict[str, object]:
    zero = "0x" + "00" * 20
    return {
        "task_id": task.task_id, "state": task.state.name, "round": task.round, "requester": task.requester,
        "worker": "" if task.worker.lower() == zero else task.worker, "reward_eth": to_ether(task.reward),
        "audit_fee_eth": to_ether(task.audit_fee), "auditors": task.auditors, "theta": task.theta / WAD,
        "fuel": task.fuel, "confidential": task.confidential, "module_cid": task.module_cid,
        "input_cid": task.input_cid,
        "commit_deadline": task.commit_deadline, "reveal_deadline": task.reveal_deadline,
        "result": "0x" + task.result.hex() if any(task.result) else "",
    }
