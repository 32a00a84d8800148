"""A command group whose commands are imported only when one of them runs.

``kura --help`` lists every command from a table of one-line summaries; ``kura store …`` imports
``kura.cli.store`` and nothing of the other groups. Each table entry names its target as
``"module:attribute"``: a ``typer.Typer`` (a command group) or a function (a single command).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from importlib import import_module
from typing import Any

import typer
from typer import _click as click
from typer.core import TyperCommand, TyperGroup


@dataclass(frozen=True)
class Lazy:
    """One command of a :class:`LazyGroup`, imported on first use.

    Attributes:
        target: ``"module:attribute"``, the attribute being a ``typer.Typer`` or a command function.
        summary: The line ``--help`` of the parent shows for it; the first paragraph of the command's own help
            (a unit test holds the two equal).
    """

    target: str
    summary: str


class _Summary(TyperCommand):
    """Stands for a command that is not imported yet: it only has a name and a summary, for listings."""


class LazyGroup(TyperGroup):
    """A typer group listing its commands from summaries and importing each one when it is invoked.

    Args:
        lazy: The commands, by name, in the order ``--help`` lists them.
        attrs: The group's own settings (``name``, ``help``, ``no_args_is_help``, …), as for ``TyperGroup``.
    """

    def __init__(self, *, lazy: Mapping[str, Lazy], **attrs: Any) -> None:
        super().__init__(**attrs)
        self.lazy = dict(lazy)
        for name, entry in self.lazy.items():
            self.commands[name] = _Summary(name, help=entry.summary)

    def load(self, name: str) -> click.Command:
        """The real command ``name``: its module is imported the first time, the command kept after that.

        Raises:
            KeyError: if the group has no command ``name``.
        """
        command = self.commands[name]
        if isinstance(command, _Summary):
            command = _command_of(name, self.lazy[name].target)
            self.commands[name] = command
        return command

    def get_help_option(self, ctx: click.Context) -> Any:
        """typer's ``--help`` option, defaulting to False rather than None.

        typer coerces an option's value through pydantic unless it is already a bool, so an absent ``--help`` of
        the group (``kura store --help`` leaves the top level's unset) would import pydantic for nothing.
        """
        option = super().get_help_option(ctx)
        if option is not None:
            option.default = False
        return option

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        """Resolve the command as typer does (with its did-you-mean hints), then import it."""
        name, command, rest = super().resolve_command(ctx, args)
        if name is not None and isinstance(command, _Summary):
            command = self.load(name)
        return name, command, rest


def _command_of(name: str, target: str) -> click.Command:
    module, _, attribute = target.partition(":")
    value = getattr(import_module(module), attribute)
    if isinstance(value, typer.Typer):
        command: click.Command = typer.main.get_group(value)
    else:
        single = typer.Typer(add_completion=False)
        single.command(name)(value)
        command = typer.main.get_command(single)
    command.name = name
    return command
