"""``python -m legato.worker MODULE``: see `legato.worker.main`."""

from legato.worker.main import main

main()
