"""The ``kura`` command: one command group per domain, each imported only when it runs.

Every group lives in its own module here and is one line of :data:`COMMANDS`: its name, where it is
(``"module:attribute"``) and the summary ``kura --help`` lists, so ``kura --help`` imports none of them and
``kura store …`` imports ``kura.cli.store`` alone. Errors that are the user's to fix (``KuraError``) print as
one line and exit 1; they never show a traceback.
"""

from __future__ import annotations

import sys

import typer

from kura.cli._lazy import Lazy, LazyGroup
from kura.cli._output import fail
from kura.errors import KuraError

COMMANDS: dict[str, Lazy] = {
    "setup": Lazy(
        "kura.cli.setup:setup",
        "Build Kubo if it is not cached yet, build the native Merkle kernel, "
        "compile changed contracts, and vendor the\ndashboard's htmx from node_modules.",
    ),
    "build": Lazy(
        "kura.cli.chain:build", "Compile contracts/**/*.sol with the pinned solc (only when a source changed)."
    ),
    "deploy": Lazy("kura.cli.chain:deploy", "Deploy the kura contracts and record their addresses for this chain id."),
    "demo": Lazy(
        "kura.cli.chain:demo",
        "Run the medical data exchange demo on a private devnet it starts and stops itself; write a report.",
    ),
    "contracts": Lazy("kura.cli.chain:contracts", "Show where the kura contracts are deployed on the network's chain."),
    "dashboard": Lazy(
        "kura.cli.dashboard:dashboard",
        "Serve the dashboard of the account's institution in the browser (storage, market, consent, compute, health).",
    ),
    "devnet": Lazy(
        "kura.cli.devnet:app", "Run a local devnet: one Anvil chain and a swarm of Kubo (IPFS) nodes on loopback."
    ),
    "store": Lazy(
        "kura.cli.store:app", "Store files confidentially: encrypted, split into k-of-n shares on distinct IPFS nodes."
    ),
    "sim": Lazy("kura.cli.sim:app", "Reliability and sabotage simulators."),
    "task": Lazy(
        "kura.cli.task:app", "Compute tasks: escrowed, audited by credibility-weighted consensus, verified on IPFS."
    ),
    "compute": Lazy(
        "kura.cli.compute:app",
        "Run a node's compute agent: audit and claim tasks, run them in the sandbox, commit, reveal, withdraw.",
    ),
    "node": Lazy(
        "kura.cli.node:app", "Nodes in the shared registry: standing, stake, promotion, and the storage node agent."
    ),
    "audit": Lazy(
        "kura.cli.audit:app", "Proof-of-storage audits: challenge a stored share, judge an unanswered challenge."
    ),
    "repair": Lazy(
        "kura.cli.repair:app",
        "Autonomous repair of lost shares (MSR from d helpers, re-encode from k, "
        "Shamir by enrolment), run forever or once per call.",
    ),
    "institution": Lazy(
        "kura.cli.institution:app", "Member institutions: apply for membership, vote on motions, show a member."
    ),
    "market": Lazy(
        "kura.cli.market:app",
        "Data-sale agreements between member institutions: list, show, buy, deliver, fetch, dispute, withdraw, log.",
    ),
    "consent": Lazy(
        "kura.cli.consent:app", "Patient consent: snapshots per purpose, revocations, and the transparency query."
    ),
    "deid": Lazy(
        "kura.cli.deid:app",
        "De-identification: Safe Harbor, then generalisation until k-anonymity and ℓ-diversity hold.",
    ),
    "key": Lazy("kura.cli.key:app", "An institution's public key: move everything to a new key."),
}
"""Every top-level command and group, in the order ``kura --help`` lists them. Adding a group is one line here
(and its module): ``"name": Lazy("kura.cli.name:app", "<the group's help>")``; a single command names its function
(``"kura.cli.name:function"``) and the first paragraph of its docstring, line breaks included (``--help`` keeps
them). ``tests/unit/cli/test_lazy_groups.py`` holds every summary equal to what the command says of itself."""

app = LazyGroup(
    lazy=COMMANDS,
    name="kura",
    help="kura: confidential self-healing P2P storage and verifiable P2P computing on Ethereum.",
    no_args_is_help=True,
)
"""The ``kura`` command."""


def main() -> None:
    """Run the ``kura`` command line, turning kura's errors into one clear line."""
    try:
        app.main(standalone_mode=False)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        fail("aborted", code=130)
    except typer.TyperException as exc:
        # Typer's own (vendored) click usage errors: unknown option, missing file, bad value.
        exc.show()  # type: ignore[attr-defined]
        sys.exit(exc.exit_code)  # type: ignore[attr-defined]
    except KuraError as exc:
        fail(str(exc))
