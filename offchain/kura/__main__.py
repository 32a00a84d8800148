"""``python -m kura`` runs the ``kura`` command."""

from kura.cli import main

main()
