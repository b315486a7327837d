"""Testing helpers, as ``temporalio.testing``.

``ActivityEnvironment`` runs an activity function outside a worker with a made-up
``activity.info()``, capturing heartbeats and letting the test cancel it or announce the
worker's shutdown. A ``WorkflowEnvironment`` (an in-process server with time skipping) is
not provided yet: workflow tests run against ``legato-operator dev`` or replay histories
with ``legato.worker.Replayer``.
"""

from __future__ import annotations

from legato._testing.activity_environment import ActivityEnvironment

__all__ = ["ActivityEnvironment"]
