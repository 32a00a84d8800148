"""The demo's report folder: ``report.md`` (access log, consent effect, ε budget, repair, slash, gas per step,
balances) and the PNG charts of the aggregate, every number read from the chain or the files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from kura.chain.data_market import AccessLogEntry
from kura.demo.ledger import Ledger
from kura.demo.narrative import ether
from kura.units import format_units


def _table(header: list[str], rows: list[list[Any]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def write_report(
    out: Path,
    ledger: Ledger,
    access_log: list[AccessLogEntry],
    names: dict[int, str],
    balances: dict[str, tuple[int, int]],
    charts: list[Path],
) -> Path:
    """Write ``out/report.md`` (and ``out/facts.json``, the same facts for scripts); returns the report's path."""
    facts = ledger.facts
    sections = [
        "# kura demo report",
        "",
        "Two hospitals and a research institute on a private devnet: real Anvil, real Kubo nodes, storage "
        "agents, compute agents, auditors and a repairer running as processes the whole time.",
        "",
    ]
    sections += [
        "## Datasets listed",
        _table(
            ["hospital", "listing", "patients", "consenting", "k", "ℓ", "rows", "consent snapshot"],
            [
                [
                    x["hospital"],
                    x["listing_id"],
                    x["patients"],
                    x["consenting"],
                    x["k"],
                    x["l"],
                    x["rows"],
                    x["snapshot"],
                ]
                for x in facts["listings"]
            ],
        ),
        "",
    ]
    sale = facts["sale"]
    sections += [
        "## Access log (rebuilt from DataMarket events)",
        _table(
            ["purchase", "listing", "version", "buyer", "seller", "price (ETH)", "consent snapshot", "state", "block"],
            [
                [
                    e.purchase_id,
                    e.listing_id,
                    e.version,
                    names.get(e.buyer, e.buyer),
                    names.get(e.seller, e.seller),
                    format_units(e.price),
                    e.consent_snapshot,
                    e.state.name,
                    e.block,
                ]
                for e in access_log
            ],
        ),
        "",
        f"The institute decrypted purchase {sale['purchase_id']}: {sale['rows']:,} rows, k={sale['k']}, ℓ={sale['l']} "
        f"(`{sale['file']}` in this folder); the seller withdrew {format_units(sale['paid'])} ETH.",
        "",
    ]
    sections += [
        "## Compute-to-data jobs",
        _table(
            [
                "job",
                "task",
                "what",
                "worker",
                "worker paid",
                "penalised",
                "auditors",
                "cells released",
                "cells suppressed",
                "refund (ETH)",
                "gas",
                "seconds",
            ],
            [
                [
                    j["job_id"],
                    j["task_id"],
                    j["label"],
                    j["worker"],
                    j["worker_paid"],
                    ", ".join(j["penalised"]) or "-",
                    ", ".join(j["auditors"]),
                    j["cells"],
                    j["suppressed"],
                    format_units(j["refund"]),
                    f"{j['gas']:,}",
                    j["seconds"],
                ]
                for j in facts["jobs"]
            ],
        ),
        "",
        f"The seller withdrew {format_units(facts['job_payments'])} ETH of job payments (credited as each job was "
        "accepted).",
        "",
        "Refused on chain before anything ran: "
        + ", ".join(f"{what.replace('_', ' ')} → `{error}`" for what, error in facts["refusals"].items())
        + ".",
        "",
    ]
    revocation, effect = facts["revocation"], facts["consent_effect"]
    sections += [
        "## Consent effect",
        f"Patient {revocation['patient']} (pseudonym `{revocation['pseudonym'][:16]}…`) revoked research "
        f"consent: snapshot(s) {revocation['touched']} touched ({revocation['gas']:,} gas). The next job was "
        f"refused (`{revocation['stale_job_refused']}`) until the hospital rebuilt the listing from snapshot "
        f"{revocation['snapshot_after']} ({revocation['cohort_before']:,} → {revocation['cohort_after']:,} "
        "consenting patients).",
        "",
        f"Transparency query (Merkle proofs against the committed roots): the record was included in "
        f"{', '.join(effect['included_in']) or 'nothing'}, not in job {effect['job_after']}.",
        "",
        _table(
            [
                "cell",
                f"patients in job {effect['job_before']}'s input",
                f"in job {effect['job_after']}'s",
                f"released count, job {effect['job_before']}",
                f"job {effect['job_after']}",
            ],
            [
                [
                    effect["cell"],
                    effect["true_before"],
                    effect["true_after"],
                    effect["released_before"],
                    effect["released_after"],
                ]
            ],
        ),
        "",
        "Released counts carry differential-privacy noise the buyer cannot remove (the seed comes from "
        "the dataset key only the approved nodes hold); the input counts are what the nodes computed on.",
        "",
    ]
    budget = facts["budget"]
    sections += [
        "## Differential-privacy budget (from the DataMarket ledger)",
        _table(
            ["", "budget ε", "spent", "left"],
            [
                ["dataset", budget["dataset_budget"], budget["dataset_spent"], budget["dataset_left"]],
                ["institute", budget["buyer_budget"], budget["buyer_spent"], budget["buyer_left"]],
            ],
        ),
        "",
    ]
    repair = facts["repair"]
    sections += [
        "## Repair",
        f"{repair['killed']} (operator `{repair['operator']}`) was killed for good. Every one of the "
        f"{repair['files']} stored files was back at full health after {repair['seconds']} s, nobody typing "
        f"a command; the operator was slashed {format_units(repair['slashed_wei'])} ETH.",
        "",
        _table(
            ["file", "share", "path", "old node", "new node"],
            [
                [
                    r.get("file_id", "")[:18] + "…",
                    r.get("index", ""),
                    r.get("path", ""),
                    r.get("old_node", ""),
                    r.get("new_node", ""),
                ]
                for r in repair["repairs"]
            ],
        ),
        "",
    ]
    slash = facts["slash"]
    sections += [
        "## The lying compute node",
        f"{slash['node']} committed a wrong result to job {slash['job_id']}; the auditors' credibility-"
        f"weighted consensus decided the honest one. `WorkerPenalised` ({slash['reason']}): "
        f"{format_units(slash['slashed'])} ETH of its stake slashed, role now {slash['role']}.",
        "",
        "Trust assumption of the demo's start: the first two compute nodes were vouched for by the "
        "consortium's operator (the NodeRegistry's owner acting as judge for those transactions only); every "
        "other credibility comes from audits.",
        "",
    ]
    sections += [
        "## Gas and time per step",
        _table(
            ["step", "by", "transactions", "gas", "seconds"],
            [[s.title, s.actor, s.transactions, f"{s.gas:,}", s.seconds] for s in ledger.steps],
        ),
        "",
        "For scale: a plain ETH transfer costs 21,000 gas.",
        "",
    ]
    sections += [
        "## Balances (ETH)",
        _table(
            ["party", "before", "after", "change"],
            [
                [party, ether(before), ether(after), ether(after - before, signed=True)]
                for party, (before, after) in balances.items()
            ],
        ),
        "",
        "Compute nodes bond a stake of 1 ETH when they register (held by the NodeRegistry, not spent); the lying "
        f"node lost {format_units(slash['slashed'])} ETH of it. Every change includes the party's gas.",
        "",
    ]
    sections += ["## Charts"] + [f"![{chart.stem}]({chart.name})" for chart in charts] + [""]
    report = out / "report.md"
    report.write_text("\n".join(sections))
    (out / "facts.json").write_text(json.dumps(facts, indent=1, sort_keys=True, default=str))
    return report
