"""Where a compute agent's input comes from: the bytes the requester posted, or what a provider builds from them.

Most tasks run on the bytes posted on IPFS. A compute-to-data job posts only its public parameters; the
approved nodes build the real input from data they hold (the dataset opened with the key sealed to them) and
seal the output to the buyer. :class:`InputProvider` is that hook: the agent hands it the task and the posted
bytes (already checked against the task's input hash) and runs whatever it returns; the provider also names the
key the output must be sealed to. The agent itself stays free of market logic.
"""

from __future__ import annotations

from typing import Protocol

from kura.chain.task_market import Task


class InputProvider(Protocol):
    """Builds a task's input and names where its output goes."""

    def input_for(self, task: Task, posted: bytes) -> bytes:
        """The module's input for ``task``, from the ``posted`` bytes (checked against the task's input hash).

        Raises:
            InputRefusedError: if the parameters cannot make an input, identically on every honest node.
            KuraError: on a failure worth retrying (a node or the chain unreachable, a key not yet sealed).
        """
        ...

    def output_key(self, task: Task) -> bytes | None:
        """The raw 64-byte public key ``task``'s output must be sealed to, or None for the task's own rule."""
        ...


class PostedInput:
    """The default provider: the posted bytes are the input; outputs follow the task's own rule."""

    def input_for(self, task: Task, posted: bytes) -> bytes:
        """``posted`` itself."""
        return posted

    def output_key(self, task: Task) -> bytes | None:
        """None: a confidential task seals to its requester, a public one does not seal."""
        return None
