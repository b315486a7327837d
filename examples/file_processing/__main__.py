"""The file-processing worker as a long-running process: `cd examples && python -m file_processing`.

The entrypoint of its image (`docker build -t shop/file-processing-worker:1.0 examples/file_processing`).
`legato.worker.main.serve` reads what the operator sets on a TaskQueue's pods
(LEGATO_ADDRESS, LEGATO_NAMESPACE, LEGATO_TASK_QUEUE, LEGATO_TOKEN_FILE, LEGATO_LOG_LEVEL),
and on SIGTERM (a scale-down) gives running activities 30 s to finish; outside a cluster
its defaults suit `legato-operator dev`.
"""

from file_processing import workflows
from legato.worker.main import serve

if __name__ == "__main__":
    serve(workflows)
