"""The orders worker as a long-running process: `cd examples && python -m orders`.

The entrypoint of its image (`docker build -t shop/orders-worker:1.0 examples/orders`).
`legato.worker.main.serve` reads what the operator sets on a TaskQueue's pods
(LEGATO_ADDRESS, LEGATO_NAMESPACE, LEGATO_TASK_QUEUE, LEGATO_TOKEN_FILE, LEGATO_LOG_LEVEL),
and on SIGTERM (a scale-down) gives running activities 30 s to finish; outside a cluster
its defaults suit `legato-operator dev`.
"""

from legato.worker.main import serve
from orders import workflows

if __name__ == "__main__":
    serve(workflows)
