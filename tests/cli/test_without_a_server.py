"""What the command line decides before (or without) a server: flags, connection settings,
usage errors, help and completion. No services; milliseconds each (but the unreachable one)."""

from __future__ import annotations

import argparse
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from legato._cli import connection, main
from legato._cli.app import build_parser
from legato_operator import postgres

PROFILES = """
[profile.default]
address = "profile-host:7233"
namespace = "from-profile"

[profile.staging]
address = "staging-host:7233"
api_key = "staging-key"
tls.disabled = true
"""


def settings(argv: list[str], env: dict[str, str]) -> connection.Settings:
    args = build_parser().parse_args(["workflow", "list", *argv])
    return connection.resolve(args, env)


@pytest.fixture
def config_file(tmp_path: Path) -> str:
    path = tmp_path / "temporal.toml"
    path.write_text(PROFILES)
    return str(path)


def test_a_flag_wins_over_the_environment_which_wins_over_the_profile(config_file: str) -> None:
    env = {"LEGATO_CONFIG_FILE": config_file, "LEGATO_ADDRESS": "env-host:7233"}

    from_profile = settings([], {"LEGATO_CONFIG_FILE": config_file})
    from_env = settings([], env)
    from_flag = settings(["--address", "flag-host:1", "-n", "flag-ns"], env)

    assert (from_profile.address, from_profile.namespace) == ("profile-host:7233", "from-profile")
    assert from_profile.address_source == "profile 'default'"
    assert (from_env.address, from_env.address_source, from_env.namespace) == (
        "env-host:7233",
        "$LEGATO_ADDRESS",
        "from-profile",
    )
    assert (from_flag.address, from_flag.address_source, from_flag.namespace) == ("flag-host:1", "--address", "flag-ns")


def test_without_any_setting_the_defaults_apply(tmp_path: Path) -> None:
    resolved = settings([], {"XDG_CONFIG_HOME": str(tmp_path)})

    assert (resolved.address, resolved.namespace, resolved.api_key, resolved.tls) == (
        "localhost:7233",
        "default",
        None,
        False,
    )
    assert resolved.credentials == "no credentials"


def test_a_named_profile_gives_its_token_and_tls_setting(config_file: str) -> None:
    resolved = settings(["--profile", "staging", "--config-file", config_file], {})

    assert (resolved.address, resolved.api_key, resolved.tls) == ("staging-host:7233", "staging-key", False)
    assert resolved.credentials == "the api_key of profile 'staging'"


def test_the_token_comes_from_the_flag_then_legato_token_then_the_token_file(tmp_path: Path) -> None:
    env = {"LEGATO_TOKEN": "env-token", "LEGATO_TOKEN_FILE": "/run/token", "XDG_CONFIG_HOME": str(tmp_path)}

    flag = settings(["--api-key", "flag-token"], env)
    variable = settings([], env)
    file = settings([], {"LEGATO_TOKEN_FILE": "/run/token", "XDG_CONFIG_HOME": str(tmp_path)})

    assert (flag.api_key, flag.credentials) == ("flag-token", "the token given with --api-key")
    assert (variable.api_key, variable.credentials) == ("env-token", "the token in $LEGATO_TOKEN")
    # The SDK reads (and re-reads) the file itself.
    assert (file.api_key, file.credentials) == (None, "the token in the file /run/token ($LEGATO_TOKEN_FILE)")


def test_an_unknown_profile_is_a_usage_error(config_file: str, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["workflow", "list", "--config-file", config_file, "--profile", "nope"])

    assert code == 2
    assert capsys.readouterr().err.strip() == "legato: error: Profile 'nope' not found"


def test_bad_json_input_exits_2_naming_the_flag_and_the_position(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["workflow", "start", "--type", "Order", "-t", "q", "-i", '{"sku": "TEA",}', "--address", "x:1"])

    assert code == 2
    assert capsys.readouterr().err.strip() == (
        """legato: error: --input '{"sku": "TEA",}' is not valid JSON: """
        "Expecting property name enclosed in double quotes at line 1 column 15"
    )


def test_a_bad_input_file_names_the_file_and_the_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "order.json"
    path.write_text('{\n  "sku": "TEA"\n  "quantity": 2\n}\n')

    code = main(["workflow", "start", "--type", "Order", "-t", "q", "--input-file", str(path), "--address", "x:1"])

    assert code == 2
    assert capsys.readouterr().err.strip() == (
        f"legato: error: --input-file {path} is not valid JSON: Expecting ',' delimiter at line 3 column 3"
    )


def test_an_unreachable_server_exits_4_naming_the_address_tried(capsys: pytest.CaptureFixture[str]) -> None:
    address = f"127.0.0.1:{postgres.free_port()}"

    code = main(["workflow", "list", "--address", address])

    assert code == 4
    assert capsys.readouterr().err.strip() == (
        f"legato: error: cannot reach the Legato server at {address} (from --address): Connection refused"
    )


def test_a_missing_required_flag_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["workflow", "describe"]) == 2
    assert "the following arguments are required: --workflow-id/-w" in capsys.readouterr().err


def test_a_group_without_its_command_shows_its_commands_and_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schedule"]) == 2
    assert "backfill" in capsys.readouterr().err


def leaves(parser: argparse.ArgumentParser, path: list[str]) -> Iterator[tuple[list[str], argparse.ArgumentParser]]:
    commands = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    if not commands:
        yield path, parser
    for action in commands:
        for name, child in action.choices.items():
            yield from leaves(child, [*path, name])


def test_every_command_has_help_with_a_one_line_description(capsys: pytest.CaptureFixture[str]) -> None:
    found = list(leaves(build_parser(), []))

    for path, parser in found:
        assert main([*path, "--help"]) == 0, path
        assert parser.description, path
        assert "\n" not in parser.description, path
        assert parser.description in capsys.readouterr().out
    workflow = "start execute describe show list count result signal query update stack cancel terminate delete"
    schedule = "create describe list update pause unpause trigger backfill delete"
    assert {" ".join(path) for path, _ in found} == {
        *(f"workflow {name}" for name in workflow.split()),
        *(f"schedule {name}" for name in schedule.split()),
        "task-queue describe",
        *(f"operator namespace {name}" for name in ("list", "describe", "create", "update")),
        *(f"operator search-attribute {name}" for name in ("list", "create", "remove")),
        "completion",
    }


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
def test_the_bash_completion_completes_commands_flags_and_choices(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["completion", "bash"]) == 0
    script = capsys.readouterr().out

    def complete(*words: str) -> list[str]:
        line = " ".join(f"'{w}'" for w in words)
        probe = (
            f'{script}\nCOMP_WORDS=({line}); COMP_CWORD={len(words) - 1}; _legato_complete; echo "${{COMPREPLY[@]}}"'
        )
        return subprocess.run(["bash", "-c", probe], capture_output=True, text=True, check=True).stdout.split()

    assert complete("legato", "sch") == ["schedule"]
    assert complete("legato", "workflow", "li") == ["list"]
    assert complete("legato", "workflow", "list", "-o", "js") == ["json", "jsonl"]
    assert "--query" in complete("legato", "workflow", "list", "-o", "json", "--q")


def test_the_zsh_completion_runs_the_bash_function_through_bashcompinit(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["completion", "zsh"]) == 0
    script = capsys.readouterr().out

    assert script.startswith("autoload -U +X bashcompinit && bashcompinit\n")
    assert "complete -F _legato_complete legato kubectl-legato" in script
