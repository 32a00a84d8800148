"""The reliability and sabotage simulators, the parameter designer and the report (``kura sim``).

They need the ``sim`` extra (SciPy for the Markov model and the intervals, matplotlib for the plots):
``pip install 'kura[sim]'``.
"""

from importlib.util import find_spec

from kura.errors import SetupError

_MISSING = [name for name in ("scipy", "matplotlib") if find_spec(name) is None]
if _MISSING:
    raise SetupError(f"the simulators need {' and '.join(_MISSING)}: install the sim extra (pip install 'kura[sim]')")
