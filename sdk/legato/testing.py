"""Testing helpers, as ``temporalio.testing``.

``WorkflowEnvironment`` is a server to test workflows against: ``start_local()`` and
``start_time_skipping()`` run one in this process, on a Postgres of its own (they need the
``legato-operator`` package), and ``from_client()`` uses a running one.
``ActivityEnvironment`` runs an activity function outside a worker with a made-up
``activity.info()``, capturing heartbeats and letting the test cancel it or announce the
worker's shutdown.
"""

from __future__ import annotations

from legato._testing.activity_environment import ActivityEnvironment
from legato._testing.workflow_environment import WorkflowEnvironment

__all__ = ["ActivityEnvironment", "WorkflowEnvironment"]
