"""Kubernetes credentials: workers' ServiceAccount tokens, and people's tokens judged by RBAC.

Two kinds of bearer token are accepted, both checked by TokenReview (`kube.Kube.review_token`):

* A worker's projected token, bound to the audience ``legato`` (the operator mounts one
  into every worker pod, `builders.token_volume`). ``system:serviceaccount:<ns>:<name>``
  may act in ``<ns>`` only, with no further check; any other user with such a token may
  act nowhere (403).
* A token for the API server itself: what ``kubectl`` sends for a person (a static or
  OIDC token, ``kubectl create token``). It authenticates its user, and each call is then
  authorized by a SubjectAccessReview of what the operation asks (`api.access`: ``get`` on
  ``workflows.legato.dev`` to read, ``update`` to signal or cancel, ``delete`` to
  terminate, ...) in the call's namespace. The chart's ClusterRoles grant those verbs.

Answers are cached per token (a bounded LRU keyed by the token's SHA-256), 60 s for a
valid one and 10 s for a refused one, and access answers per user and question for 10 s,
so a worker's polls cost one TokenReview a minute, a person's clicks a review now and then,
and a misconfigured client cannot flood the API server.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from legato_operator.api import auth
from legato_operator.api.access import GROUP, Access
from legato_operator.k8s import builders, kube

log = logging.getLogger(__name__)

VALID_TTL = 60.0
INVALID_TTL = 10.0
MAX_ENTRIES = 10_000


ACCESS_TTL = 10.0
K = TypeVar("K")
V = TypeVar("V")


def principal_of(identity: kube.TokenIdentity, watched: frozenset[str] | None = None) -> auth.Principal:
    """A ServiceAccount with a ``legato`` token acts in its own namespace, if this operator
    watches it (``watched`` None: all); anyone else, nowhere."""
    namespace = identity.service_account_namespace
    if namespace is None or (watched is not None and namespace not in watched):
        return auth.Principal(identity.username, frozenset())
    return auth.Principal(identity.username, frozenset({namespace}))


class TtlCache(Generic[K, V]):
    """A bounded LRU whose entries expire: the answers of the API server's reviews."""

    def __init__(self, max_entries: int, clock: Callable[[], float]) -> None:
        self._max_entries = max_entries
        self._clock = clock
        self._entries: OrderedDict[K, tuple[float, V]] = OrderedDict()

    def get(self, key: K) -> tuple[V] | None:
        """The value kept for ``key`` (in a 1-tuple, as it may be None), unless expired."""
        entry = self._entries.get(key)
        if entry is None:
            return None
        if entry[0] <= self._clock():
            del self._entries[key]
            return None
        self._entries.move_to_end(key)
        return (entry[1],)

    def put(self, key: K, value: V, ttl: float) -> None:
        self._entries[key] = (self._clock() + ttl, value)
        self._entries.move_to_end(key)
        while len(self._entries) > self._max_entries:
            self._entries.popitem(last=False)


class RbacReviewer:
    """`api.auth.Reviewer` of one person: SubjectAccessReviews of ``legato.dev`` resources."""

    def __init__(self, kube_client: kube.Kube, who: kube.TokenIdentity, cache: TtlCache[Any, bool]) -> None:
        self._kube = kube_client
        self._who = who
        self._cache = cache
        self.reviews = 0

    async def allowed(self, access: Access, namespace: str) -> bool:
        key = (self._who, access, namespace)
        if (cached := self._cache.get(key)) is not None:
            return cached[0]
        attributes = kube.ResourceAttributes(
            access.verb, GROUP, access.resource, subresource=access.subresource, namespace=namespace
        )
        try:
            allowed = await self._kube.review_access(self._who, attributes)
        except kube.KubeError as e:
            raise auth.AuthUnavailable(f"SubjectAccessReview failed: {e}") from e
        self._cache.put(key, allowed, ACCESS_TTL)
        return allowed


class KubernetesAuthenticator:
    """`api.auth.Authenticator` backed by TokenReview, with a per-token cache."""

    def __init__(
        self,
        kube_client: kube.Kube,
        *,
        audience: str = builders.TOKEN_AUDIENCE,
        valid_ttl: float = VALID_TTL,
        invalid_ttl: float = INVALID_TTL,
        max_entries: int = MAX_ENTRIES,
        clock: Callable[[], float] = time.monotonic,
        watched: frozenset[str] | None = None,
    ) -> None:
        self._kube = kube_client
        # The namespaces this operator reconciles (None: all): a worker elsewhere is not ours.
        self._watched = watched
        self._audience = audience
        self._valid_ttl = valid_ttl
        self._invalid_ttl = invalid_ttl
        self._cache: TtlCache[bytes, auth.Principal | None] = TtlCache(max_entries, clock)
        self._access: TtlCache[Any, bool] = TtlCache(max_entries, clock)
        self.reviews = 0  # TokenReviews sent, for tests and debugging

    async def authenticate(self, token: str) -> auth.Principal | None:
        """The token's principal, from the cache or a TokenReview.

        Raises:
            api.auth.AuthUnavailable: the TokenReview failed (API server unreachable, or
                the operator may not create tokenreviews).
        """
        key = hashlib.sha256(token.encode()).digest()
        cached = self._cache.get(key)
        if cached is not None:
            return cached[0]
        who = await self._review(token)
        self._cache.put(key, who, self._valid_ttl if who is not None else self._invalid_ttl)
        return who

    async def _review(self, token: str) -> auth.Principal | None:
        worker = await self._identity(token, [self._audience])
        if worker is not None:
            return principal_of(worker, self._watched)
        # Not a worker's: maybe a person's token for the API server, judged call by call.
        person = await self._identity(token, None)
        if person is None:
            return None
        return auth.Principal(person.username, None, reviewer=RbacReviewer(self._kube, person, self._access))

    async def _identity(self, token: str, audiences: list[str] | None) -> kube.TokenIdentity | None:
        self.reviews += 1
        try:
            return await self._kube.review_token(token, audiences)
        # The token could not be checked (API server down): the caller should retry, not be refused.
        except kube.KubeError as e:
            raise auth.AuthUnavailable(f"TokenReview failed: {e}") from e
