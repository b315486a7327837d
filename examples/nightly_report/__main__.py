"""The nightly-report worker as a long-running process: `cd examples && python -m nightly_report`.

The entrypoint of its image (`docker build -t shop/nightly-report-worker:1.0 examples/nightly_report`).
`legato.worker.main.serve` reads what the operator sets on a TaskQueue's pods
(LEGATO_ADDRESS, LEGATO_NAMESPACE, LEGATO_TASK_QUEUE, LEGATO_TOKEN_FILE, LEGATO_LOG_LEVEL),
and on SIGTERM (a scale-down) gives running activities 30 s to finish; outside a cluster
its defaults suit `legato-operator dev`.
"""

from legato.worker.main import serve
from nightly_report import workflows

if __name__ == "__main__":
    serve(workflows)
