"""Flags several commands share, with the Temporal CLI's names."""

from __future__ import annotations

import argparse


def add_id_flags(parser: argparse.ArgumentParser) -> None:
    """``--workflow-id/-w`` (required) and ``--run-id/-r``."""
    parser.add_argument("--workflow-id", "-w", required=True, help="workflow id")
    parser.add_argument("--run-id", "-r", help="run id (default: the latest run)")


def add_input_flags(parser: argparse.ArgumentParser) -> None:
    """``--input/-i`` (JSON, repeatable) and ``--input-file`` (repeatable), one argument each."""
    parser.add_argument("--input", "-i", action="append", help="one argument as JSON (repeat for more)")
    parser.add_argument("--input-file", action="append", help="file holding one argument as JSON (repeatable)")
