"""``legato completion bash|zsh``: a shell completion script made from the command tree.

The script holds, for each command path (``legato workflow list``), the words that may
follow it: its sub-commands, or its flags; and for each flag with choices (``-o``), the
choices. So it never lags behind the commands, and it needs no Python at completion time.
zsh runs the same function through its ``bashcompinit``.
"""

from __future__ import annotations

import argparse
import shlex
from collections.abc import Iterator
from typing import TextIO

from legato._cli import errors
from legato._cli.command import Group

_FUNCTION = """_legato_complete() {
    local cur="${COMP_WORDS[COMP_CWORD]}" prev="${COMP_WORDS[COMP_CWORD-1]}"
    local path="legato" i
    for ((i = 1; i < COMP_CWORD; i++)); do
        if [[ -n "${_legato_words[$path ${COMP_WORDS[i]}]+set}" ]]; then
            path="$path ${COMP_WORDS[i]}"
        fi
    done
    local words="${_legato_words[$path]}"
    if [[ -n "${_legato_choices[$path $prev]+set}" ]]; then
        words="${_legato_choices[$path $prev]}"
    fi
    COMPREPLY=($(compgen -W "$words" -- "$cur"))
}
complete -F _legato_complete legato kubectl-legato
"""


def register(group: Group, root: argparse.ArgumentParser) -> None:
    """Add ``completion`` to the tree; it prints the script of ``root``."""
    parser = group.add_parser(
        "completion", help="Print a shell completion script.", description="Print a shell completion script."
    )
    parser.add_argument("shell", choices=["bash", "zsh"], help="the shell to complete in")
    parser.set_defaults(handler=None, parser=parser, offline=lambda args, out: print_script(root, args.shell, out))


def print_script(root: argparse.ArgumentParser, shell: str, out: TextIO) -> int:
    """Write the completion script for ``shell``."""
    if shell == "zsh":
        out.write("autoload -U +X bashcompinit && bashcompinit\n")
    commands, choices = _commands(root, "legato"), _choices(root, "legato")
    out.write(_array("_legato_words", commands) + _array("_legato_choices", choices) + _FUNCTION)
    return errors.OK


def _array(name: str, entries: Iterator[tuple[str, list[str]]]) -> str:
    lines = [f"    [{shlex.quote(key)}]={shlex.quote(' '.join(words))}" for key, words in sorted(entries)]
    return "\n".join([f"declare -A {name}=(", *lines, ")", ""])


def _commands(parser: argparse.ArgumentParser, path: str) -> Iterator[tuple[str, list[str]]]:
    """(command path, its sub-commands or else its flags), for ``parser`` and all under it."""
    commands = _subcommands(parser)
    flags = [option for action in parser._actions for option in action.option_strings]
    yield path, list(commands) or flags
    for name, child in commands.items():
        yield from _commands(child, f"{path} {name}")


def _choices(parser: argparse.ArgumentParser, path: str) -> Iterator[tuple[str, list[str]]]:
    """(command path and flag, the flag's choices), for every flag that has choices."""
    for action in parser._actions:
        if action.option_strings and action.choices:
            for option in action.option_strings:
                yield f"{path} {option}", [str(choice) for choice in action.choices]
    for name, child in _subcommands(parser).items():
        yield from _choices(child, f"{path} {name}")


def _subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}
