"""The worker of this example's image: `cd examples && python -m orders` (see `legato.worker.main`)."""

from legato.worker.main import serve
from orders import workflows

if __name__ == "__main__":
    serve(workflows)
