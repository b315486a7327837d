"""Leader election on a coordination.k8s.io Lease: exactly one replica runs the reconcilers.

Replicas are peers for the API and the timers; only the holder of the Lease runs kopf and
the leader loops. The holder renews every `renew_every` seconds; a Lease not renewed for
`lease_seconds` may be taken by another replica, so failover takes at most
lease_seconds + retry_every (15 s + 2 s by default). A replica that stops cleanly gives the
Lease up at once. ``legato_leader`` is 1 while this replica holds the Lease.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from legato_operator import metrics
from legato_operator.k8s import kube

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LeaseState:
    """The parts of a Lease's spec the election reads."""

    holder: str | None
    renew_time: datetime | None
    lease_seconds: int

    @classmethod
    def of(cls, lease: dict[str, Any]) -> LeaseState:
        spec = lease.get("spec") or {}
        renew = spec.get("renewTime")
        return cls(
            holder=spec.get("holderIdentity") or None,
            renew_time=parse_time(renew) if renew else None,
            lease_seconds=int(spec.get("leaseDurationSeconds") or 15),
        )


def parse_time(text: str) -> datetime:
    """A Kubernetes MicroTime or Time (``...Z``)."""
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def may_take(state: LeaseState, identity: str, now: datetime) -> bool:
    """Whether ``identity`` may hold the lease now: it is ours, free, or expired."""
    if state.holder in (None, identity) or state.renew_time is None:
        return True
    return now > state.renew_time + timedelta(seconds=state.lease_seconds)


@dataclass
class LeaderElector:
    """Campaigns for one Lease and runs ``lead`` while holding it."""

    kube: kube.Kube
    namespace: str
    identity: str
    name: str = "legato-operator"
    lease_seconds: int = 15
    renew_every: float = 5.0
    retry_every: float = 2.0

    async def run(self, lead: Callable[[], Coroutine[Any, Any, None]]) -> None:
        """Campaign forever; while leading, run ``lead``. Returns (or raises) when ``lead`` does."""
        while True:
            await self._acquire()
            log.info("Leading as %s (lease %s/%s)", self.identity, self.namespace, self.name)
            metrics.LEADER.set(1)
            leading: asyncio.Task[None] = asyncio.create_task(lead(), name="legato-leader")
            lost = False
            try:
                lost = await self._hold(leading)
            finally:
                metrics.LEADER.set(0)
                if not leading.done():
                    leading.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await leading
                # Stopping (not losing): hand the lease over at once instead of letting it expire.
                if not lost:
                    await self._release()
            if not lost:
                leading.result()  # re-raises what stopped the reconcilers, if anything did
                return
            log.warning("Lost the lease %s/%s; reconcilers stopped", self.namespace, self.name)

    async def _acquire(self) -> None:
        # Polling is the protocol here: the Lease is renewed by time, nothing notifies us.
        while not await self._try_take():  # noqa: ASYNC110
            await asyncio.sleep(self.retry_every)

    async def _hold(self, leading: asyncio.Task[None]) -> bool:
        """Renew until ``leading`` ends (False) or a renewal fails (True: lost)."""
        while not leading.done():
            await asyncio.wait({leading}, timeout=self.renew_every)
            if not leading.done() and not await self._try_take():
                return True
        return False

    async def _try_take(self) -> bool:
        try:
            return await self._take_or_renew()
        except kube.KubeError as e:
            log.warning("Lease %s/%s: %s", self.namespace, self.name, e)
            return False

    async def _take_or_renew(self) -> bool:
        now = datetime.now(UTC)
        current = await self.kube.get_lease(self.namespace, self.name)
        if current is None:
            await self.kube.create_lease(self.namespace, self._lease(now, None, transitions=0))
            return True
        state = LeaseState.of(current)
        if not may_take(state, self.identity, now):
            return False
        transitions = int((current.get("spec") or {}).get("leaseTransitions") or 0)
        transitions += 0 if state.holder == self.identity else 1
        acquired = (current.get("spec") or {}).get("acquireTime") if state.holder == self.identity else None
        body = self._lease(now, acquired, transitions=transitions)
        body["metadata"]["resourceVersion"] = current["metadata"]["resourceVersion"]
        # A conflict (409) means another replica renewed or took it between our read and write.
        await self.kube.replace_lease(self.namespace, self.name, body)
        return True

    async def _release(self) -> None:
        with contextlib.suppress(kube.KubeError):
            current = await self.kube.get_lease(self.namespace, self.name)
            if current is None or LeaseState.of(current).holder != self.identity:
                return
            current["spec"]["holderIdentity"] = None
            current["spec"]["renewTime"] = None
            await self.kube.replace_lease(self.namespace, self.name, current)
            log.info("Released the lease %s/%s", self.namespace, self.name)

    def _lease(self, now: datetime, acquired: str | None, *, transitions: int) -> dict[str, Any]:
        stamp = now.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        return {
            "apiVersion": "coordination.k8s.io/v1",
            "kind": "Lease",
            "metadata": {"name": self.name, "namespace": self.namespace},
            "spec": {
                "holderIdentity": self.identity,
                "leaseDurationSeconds": self.lease_seconds,
                "acquireTime": acquired or stamp,
                "renewTime": stamp,
                "leaseTransitions": transitions,
            },
        }
