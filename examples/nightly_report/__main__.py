"""The worker of this example's image: `cd examples && python -m nightly_report` (see `legato.worker.main`)."""

from legato.worker.main import serve
from nightly_report import workflows

if __name__ == "__main__":
    serve(workflows)
