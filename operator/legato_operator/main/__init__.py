"""Layer 5: the ``legato-operator`` command line, and the wiring of the layers into one process.

::

    legato-operator run      serve the API, fire timers and (unless --no-kubernetes) reconcile
    legato-operator dev      an embedded Postgres and a server on loopback, for a laptop
    legato-operator migrate  apply the database migrations and exit

Belongs here: the options (``options``: one row per flag, with its environment variable
and default), the process (``process``: pool, migrations, LISTEN, timer loop, HTTP site)
and its lifecycles (``lifecycle``: run, dev, migrate, signals, ``--then``). Does not
belong here: anything a request or a resource does (the layers below).
"""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Sequence

from legato_operator.main import lifecycle, options


def cli(argv: Sequence[str] | None = None) -> None:
    """Entry point of the ``legato-operator`` script."""
    args = options.parser().parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    sys.exit(asyncio.run(lifecycle.main(args)))
