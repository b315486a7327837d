"""ttlAfterFinished: the operator deletes Workflow resources some time after their run
finished, as Kubernetes' TTL controller deletes finished Jobs.

The clock starts at the run's close, and only once the resource's final status is
written, so nobody misses how it ended. Deleting goes through the usual delete handler
(the run has closed, so ``onDelete`` has nothing to do); the run and its history stay
until the namespace's retention period deletes them.
"""

from __future__ import annotations

import asyncio
import logging

from legato_operator.engine.services import resources
from legato_operator.k8s import context
from legato_operator.store import db, resource_links

log = logging.getLogger(__name__)

PLURAL = "workflows"
# How often expired resources are looked for: a TTL is honoured within this much.
INTERVAL_SECONDS = 5.0


@context.leader_loop
async def delete_expired_workflows(ctx: context.OperatorContext) -> None:
    """Every few seconds, while leading: delete the finished resources past their TTL."""
    while True:
        try:
            await delete_expired(ctx)
        except Exception as e:
            if db.is_unavailable(e):
                ctx.runtime.outage.failed(e, "the Workflow TTL loop")
            else:
                log.exception("Deleting expired Workflows failed; retrying")
        await asyncio.sleep(INTERVAL_SECONDS)


async def delete_expired(ctx: context.OperatorContext) -> int:
    """One round; how many resources were deleted."""
    deleted = 0
    for key in await resources.expired(ctx.runtime):
        if await ctx.kube.delete_custom(PLURAL, key.namespace, key.name, uid=key.uid):
            log.info("Workflow %s/%s: deleted, its ttlAfterFinished has passed", key.namespace, key.name)
            deleted += 1
        else:  # gone already without its finalizer: forget the link, or it is tried forever
            await ctx.runtime.query(resource_links.delete, key)
    return deleted
