"""The worker of this example's image: `cd examples && python -m file_processing` (see `legato.worker.main`)."""

from file_processing import workflows
from legato.worker.main import serve

if __name__ == "__main__":
    serve(workflows)
