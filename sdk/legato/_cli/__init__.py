"""The ``legato`` command line: workflows, schedules, task queues and namespaces from a shell.

Installed with the SDK as the console scripts ``legato`` and ``kubectl-legato`` (so that
``kubectl legato ...`` runs it as a kubectl plugin). It talks to the server through the
public client (``legato.client``) only, as any program would; nothing here is imported by
the rest of the SDK. ``docs/cli.md`` describes every command.

What belongs here: parsing flags, resolving the connection, rendering answers, explaining
errors. What does not: any call to the server that the client does not offer.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from legato._cli.app import run

__all__ = ["kubectl_main", "main"]


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``legato`` with ``argv`` (the process's arguments when None); its exit code.

    As a console script its return value becomes the process's exit status.
    """
    return run(sys.argv[1:] if argv is None else argv)


def kubectl_main(argv: Sequence[str] | None = None) -> int:
    """``kubectl legato ...``: the same command line, named as kubectl shows it, whose
    credentials default to the kubeconfig's (its current user's bearer token)."""
    return run(sys.argv[1:] if argv is None else argv, prog="kubectl legato", kubectl_plugin=True)
