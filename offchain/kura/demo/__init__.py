"""The end-to-end demo (``kura demo``, ``make demo``, ``ape run demo``); see :mod:`kura.demo.run`.

Modules: :mod:`~kura.demo.cast` (who is who, settings), :mod:`~kura.demo.actors` (processes), :mod:`~kura.demo.steps`
(the story), :mod:`~kura.demo.ledger` (gas and time per step), :mod:`~kura.demo.narrative` (the terminal),
:mod:`~kura.demo.report` and :mod:`~kura.demo.charts` (the results folder), :mod:`~kura.demo.state` (a private
state folder, also used by the soak test and the benchmarks).
"""

from kura.demo.csv_records import synthetic_records
from kura.demo.state import private_state

__all__ = ["private_state", "synthetic_records"]
