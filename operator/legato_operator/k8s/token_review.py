"""Workers authenticate with their ServiceAccount's projected token, checked by TokenReview.

The operator mounts a token bound to the audience ``legato`` into every worker pod
(`builders.token_volume`); the SDK sends it as a bearer token. `KubernetesAuthenticator`
asks the API server whose it is (`kube.Kube.review_token`, with that audience, so a
token minted for the API server itself is refused) and maps the answer to a principal:

* ``system:serviceaccount:<ns>:<name>`` may act in ``<ns>`` only;
* any other user the API server vouches for may act nowhere (403): users outside the
  cluster use the tokens file (`api.auth.StaticTokens`).

Answers are cached per token (a bounded LRU keyed by the token's SHA-256), 60 s for a
valid one and 10 s for a refused one, so a worker's polls cost one TokenReview a minute
and a misconfigured worker cannot flood the API server.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections import OrderedDict
from collections.abc import Callable

from legato_operator.api import auth
from legato_operator.k8s import builders, kube

log = logging.getLogger(__name__)

VALID_TTL = 60.0
INVALID_TTL = 10.0
MAX_ENTRIES = 10_000


def principal_of(identity: kube.TokenIdentity) -> auth.Principal:
    """A ServiceAccount acts in its own namespace; anyone else, nowhere."""
    namespace = identity.service_account_namespace
    return auth.Principal(identity.username, frozenset() if namespace is None else frozenset({namespace}))


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
    ) -> None:
        self._kube = kube_client
        self._audience = audience
        self._valid_ttl = valid_ttl
        self._invalid_ttl = invalid_ttl
        self._max_entries = max_entries
        self._clock = clock
        self._cache: OrderedDict[bytes, tuple[float, auth.Principal | None]] = OrderedDict()
        self.reviews = 0  # TokenReviews sent, for tests and debugging

    async def authenticate(self, token: str) -> auth.Principal | None:
        """The token's principal, from the cache or a TokenReview.

        Raises:
            api.auth.AuthUnavailable: the TokenReview failed (API server unreachable, or
                the operator may not create tokenreviews).
        """
        key = hashlib.sha256(token.encode()).digest()
        cached = self._cached(key)
        if cached is not None:
            return cached[1]
        who = await self._review(token)
        self._remember(key, who)
        return who

    def _cached(self, key: bytes) -> tuple[float, auth.Principal | None] | None:
        entry = self._cache.get(key)
        if entry is None:
            return None
        if entry[0] <= self._clock():
            del self._cache[key]
            return None
        self._cache.move_to_end(key)
        return entry

    async def _review(self, token: str) -> auth.Principal | None:
        self.reviews += 1
        try:
            identity = await self._kube.review_token(token, [self._audience])
        # The token could not be checked (API server down): the caller should retry, not be refused.
        except kube.KubeError as e:
            raise auth.AuthUnavailable(f"TokenReview failed: {e}") from e
        return None if identity is None else principal_of(identity)

    def _remember(self, key: bytes, who: auth.Principal | None) -> None:
        ttl = self._valid_ttl if who is not None else self._invalid_ttl
        self._cache[key] = (self._clock() + ttl, who)
        self._cache.move_to_end(key)
        while len(self._cache) > self._max_entries:
            self._cache.popitem(last=False)
