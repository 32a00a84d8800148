"""The lazy command table: what ``kura --help`` lists is what each command says of itself, and the choices spelt
out for light ``--help`` are the enums the commands convert them to."""

from __future__ import annotations

import inspect
import typing

import pytest
import typer
from typer._click.exceptions import UsageError

from kura.cli import COMMANDS, app, compute, sim
from kura.cli._context import NodeChoice
from kura.cli._lazy import Lazy, LazyGroup
from kura.compute.behaviour import Mode
from kura.config import NodeSource
from kura.sim.sabotage_config import Mechanism, Strategy
from kura.sim.storage import Lifetime


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_the_summary_is_the_first_paragraph_of_the_commands_own_help(name: str) -> None:
    command = LazyGroup(lazy=COMMANDS, name="kura").load(name)
    assert command.name == name
    assert COMMANDS[name].summary == inspect.cleandoc(command.help or "").split("\n\n")[0]


@pytest.mark.parametrize(
    ("choice", "enum"),
    [
        (NodeChoice, NodeSource),
        (sim.LifetimeChoice, Lifetime),
        (sim.MechanismChoice, Mechanism),
        (sim.StrategyChoice, Strategy),
        (compute.ModeChoice, Mode),
    ],
)
def test_spelt_out_choices_are_the_enums_values(choice: object, enum: type) -> None:
    assert list(typing.get_args(choice)) == [member.value for member in enum]


def test_a_command_is_imported_once_and_only_when_resolved() -> None:
    group = LazyGroup(lazy={"deid": COMMANDS["deid"]}, name="kura")
    context = typer.Context(group)
    placeholder = group.get_command(context, "deid")
    assert placeholder is not None and placeholder.help == COMMANDS["deid"].summary
    name, command, rest = group.resolve_command(context, ["deid", "check", "--help"])
    assert (name, rest) == ("deid", ["check", "--help"])
    assert command is group.get_command(context, "deid") is group.load("deid")
    assert command is not placeholder and "check" in command.commands  # type: ignore[attr-defined]


def test_an_unknown_command_is_refused_with_a_hint_and_imports_nothing() -> None:
    group = LazyGroup(lazy={"deid": Lazy("kura.cli.no_such_module:app", "A summary.")}, name="kura")
    with pytest.raises(UsageError, match="Did you mean 'deid'"):
        group.resolve_command(typer.Context(group), ["deix"])


def test_a_target_that_does_not_exist_fails_loudly() -> None:
    group = LazyGroup(lazy={"gone": Lazy("kura.cli.no_such_module:app", "A summary.")}, name="kura")
    with pytest.raises(ModuleNotFoundError):
        group.load("gone")


def test_the_kura_command_lists_the_table_in_order() -> None:
    assert app.list_commands(typer.Context(app)) == list(COMMANDS)
