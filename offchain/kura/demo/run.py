"""``kura demo``: the whole story on a private devnet it starts and stops itself.

Two hospitals and a research institute join a consortium; storage node agents, a repairer, compute nodes and
auditors run as real processes the whole time. Each hospital de-identifies synthetic FHIR records, stores them,
commits consent and lists; the institute buys one dataset outright and decrypts it, and runs compute-to-data on
the other; a patient revokes and the next job runs without them; a storage node dies and its shares are rebuilt
with nobody typing; the lying compute node is caught and slashed. The narrative goes to the terminal, the report
(with charts) to a results folder.
"""

from __future__ import annotations

import importlib
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from eth_utils import keccak, to_checksum_address
from rich.console import Console

from kura.api.session import Kura, connect
from kura.chain.client import Chain
from kura.chain.deploy import deploy_all
from kura.chain.institution_registry import Founder
from kura.config import resolve_network
from kura.demo import steps
from kura.demo.actors import compute_agent
from kura.demo.cast import AUDITORS, DEMO_PARAMS, DEPLOYER, HOSPITALS, INSTITUTE, LIAR, WORKER, DemoConfig
from kura.demo.charts import count_chart, hba1c_chart
from kura.demo.ledger import Ledger
from kura.demo.narrative import Say, narrator, silent, summary
from kura.demo.report import write_report
from kura.demo.state import private_state
from kura.devnet import manager
from kura.devnet.processes import ProcessRecord
from kura.devtools.soak import storage_actors


def results_folder(config: DemoConfig) -> Path:
    """Where the report goes: ``config.out``, or ``results/demo-<UTC timestamp>`` under the working folder."""
    out = config.out or Path("results") / f"demo-{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}"
    out.mkdir(parents=True, exist_ok=True)
    return out


def run_demo(config: DemoConfig | None = None, console: Console | None = None) -> dict[str, Any]:
    """Run the demo and write its report.

    Args:
        config: Sizes, seed, budgets, report folder (kura's defaults when omitted).
        console: Where the narrative goes (None: nowhere, for ``--json``).

    Returns:
        The report's path and every fact it shows.

    Raises:
        KuraError: if a step fails (the devnet and every process are stopped first).
    """
    config = config or DemoConfig()
    say: Say = narrator(console) if console is not None else silent
    out = results_folder(config)
    started = time.monotonic()
    with private_state(), ExitStack() as stack:
        state = manager.up(config.kubo_nodes, progress=lambda line: say("network", line))
        stack.callback(manager.down)
        network = resolve_network("devnet")
        chain = Chain.connect(network)
        founders = [Founder.of(chain.account(i), name) for i, name in (*HOSPITALS.items(), INSTITUTE)]
        deployment = deploy_all(chain, chain.account(DEPLOYER), DEMO_PARAMS, founders=founders)
        say(
            "Consortium",
            f"deployed {len(deployment.contracts)} contracts on chain {chain.chain_id} and founded "
            f"the consortium: {', '.join(f.name for f in founders)} (k ≥ 5, ℓ ≥ 2, cells ≥ "
            f"{DEMO_PARAMS.institutions.min_cell_count})",
        )
        operator = stack.enter_context(connect(network, DEPLOYER))
        processes: list[ProcessRecord] = []
        logs = out / "logs"
        stack.enter_context(storage_actors(state, operator, logs, lambda line: say("network", line), processes))
        apis = [node.api_url for node in state.kubo]
        for n, account in enumerate((WORKER, LIAR, *AUDITORS)):
            processes.append(
                compute_agent(
                    steps.NODE_NAMES[account].replace(" ", "-"),
                    account,
                    apis[n % len(apis)],
                    logs,
                    worker=account in (WORKER, LIAR),
                    malicious=account == LIAR,
                )
            )
        say(
            "network",
            "started 5 compute agents (`kura compute run`): an honest compute node, a lying one "
            "(`--malicious always-wrong`) and 3 auditors",
        )
        hospitals = [
            steps.Hospital(
                name, stack.enter_context(connect(network, i)), keccak(text=f"kura-demo-pseudonym-salt/{name}")
            )
            for i, name in HOSPITALS.items()
        ]
        institute = stack.enter_context(connect(network, INSTITUTE[0]))
        ledger = Ledger(chain)
        world = steps.World(
            config, state, out, logs, say, ledger, operator, hospitals, institute, processes, chain.w3.eth.block_number
        )
        parties = {
            **{h.name: h.session.address for h in hospitals},
            INSTITUTE[1]: institute.address,
            steps.NODE_NAMES[WORKER]: chain.account(WORKER).address,
            steps.NODE_NAMES[LIAR]: chain.account(LIAR).address,
        }
        before = {party: _balance(chain, address) for party, address in parties.items()}
        _story(world, chain)
        ledger.facts["pids"] = [p.pid for p in (*processes, *state.processes)]
        balances = {party: (before[party], _balance(chain, address)) for party, address in parties.items()}
        report = _write(world, balances)
        if console is not None:
            summary(console, ledger, balances)
            console.print(f"[green]report[/] {report}")
        if config.dashboard:
            _dashboard(operator, say)
    ledger.facts["seconds"] = round(time.monotonic() - started, 1)
    return {"report": str(report), "out": str(out), **ledger.facts}


def _story(world: steps.World, chain: Chain) -> None:
    names = {str(chain.account(a).address): steps.NODE_NAMES[a] for a in (WORKER, LIAR, *AUDITORS)}
    steps.list_datasets(world)
    steps.genesis(world, chain.account(LIAR).address, steps.NODE_NAMES[LIAR])
    steps.sell_outright(world)
    steps.open_compute(world, {a: steps.NODE_NAMES[a] for a in (WORKER, LIAR, *AUDITORS)})
    access = steps.buy_jobs(world, jobs=4)
    first = steps.run_job(world, access, "before the revocation", names)
    steps.genesis(world, chain.account(WORKER).address, steps.NODE_NAMES[WORKER])
    revocation = steps.revoke_one(world, access)
    second = steps.run_job(world, access, "after the revocation", names)
    steps.consent_effect(world, revocation, first, second)
    steps.over_budget(world, access)
    steps.collect(world)
    agents = {i: p for p in world.processes for i in range(len(world.state.kubo)) if p.name == f"agent-{i + 1}"}
    steps.heal(world, agents)
    facts = world.facts
    facts["budget"] = steps.budget(world)
    facts["jobs"] = [
        {
            "job_id": j.job_id,
            "task_id": j.task_id,
            "label": j.label,
            "worker": j.worker,
            "worker_paid": j.worker_paid,
            "penalised": [names.get(p, p) for p in j.penalised],
            "auditors": [names.get(a, a) for a in j.auditors],
            "cells": len(j.result.result.cells),
            "suppressed": j.result.result.suppressed_cells,
            "refund": j.refund,
            "gas": j.gas,
            "seconds": j.seconds,
        }
        for j in (first, second)
    ]
    facts["slash"] = _slash(world, chain, first)
    facts["results"] = {f"job {j.job_id}": j.result.output.decode() for j in (first, second)}
    facts["charts_of"] = second.job_id
    world.ledger.facts["second_result"] = second.result.result


def _balance(chain: Chain, address: str) -> int:
    return int(chain.w3.eth.get_balance(to_checksum_address(address)))


def _slash(world: steps.World, chain: Chain, job: steps.JobRun) -> dict[str, Any]:
    """What the chain says of the lying compute node: its penalty event and its role now."""
    tasks = world.operator.contracts.tasks
    liar = chain.account(LIAR).address
    logs = tasks.contract.events.WorkerPenalised().get_logs(
        from_block=world.first_block, argument_filters={"worker": liar}
    )
    if not logs:
        return {
            "node": steps.NODE_NAMES[LIAR],
            "job_id": job.job_id,
            "reason": "none",
            "slashed": 0,
            "role": world.operator.contracts.nodes.node_of(liar).role.name,
        }
    event = logs[0].args
    return {
        "node": steps.NODE_NAMES[LIAR],
        "job_id": job.job_id,
        "reason": bytes(event.reason).rstrip(b"\0").decode(),
        "slashed": int(event.slashed),
        "role": world.operator.contracts.nodes.node_of(liar).role.name,
    }


def _write(world: steps.World, balances: dict[str, tuple[int, int]]) -> Path:
    facts = world.facts
    result = facts.pop("second_result")
    title = f"dp_cohort_aggregate, job {facts['charts_of']} (ε {world.config.epsilon})"
    charts = [
        hba1c_chart(result, world.out / "hba1c_by_age_sex_condition.png", title),
        count_chart(result, world.out / "patients_by_age_condition.png", title),
    ]
    institutions = world.operator.contracts.institutions
    names = {institutions.member_id_of(h.session.address): h.name for h in world.hospitals}
    names[institutions.member_id_of(world.institute.address)] = INSTITUTE[1]
    return write_report(world.out, world.ledger, world.institute.market.log(), names, balances, charts)


def _dashboard(session: Kura, say: Say) -> None:
    """Serve the dashboard on ``session`` until Ctrl-C, if this kura has one (``kura.dashboard``)."""
    try:
        dashboard = importlib.import_module("kura.dashboard")
    except ImportError:
        say("network", "this kura has no dashboard (`kura.dashboard`); skipping --dashboard")
        return
    running = dashboard.serve_in_background(session)
    say("network", f"dashboard at {running.url} (the devnet stays up); Ctrl-C stops both")
    try:
        while True:
            time.sleep(1.0)
    except KeyboardInterrupt:
        running.stop()
