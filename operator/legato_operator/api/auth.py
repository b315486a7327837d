"""Who is calling, and may they act in this namespace: bearer tokens checked at the edge.

Every call under ``/api/v1/namespaces/{namespace}/`` carries ``Authorization: Bearer
<token>``. An `Authenticator` turns the token into a `Principal` (a name and the
namespaces it may act in), and `middleware` answers before any handler runs:

* no token, or one no authenticator accepts → 401 ``Unauthenticated``;
* a principal that may not act in the URL's namespace → 403 ``PermissionDenied``;
* an authenticator that cannot decide now (the Kubernetes API is down) → 503
  ``Unavailable``, which clients retry.

So a refused call changes nothing. ``/healthz``, ``/readyz``, ``/metrics`` and
``/openapi.json`` stay open (probes and scrapers carry no token), and so do the web UI's
files (``/``, ``/ui/...``): a browser fetches them before anyone signs in, and the page
they make calls the API with the person's token like any other client.

Authenticators here know nothing of Kubernetes: the TokenReview one lives in
``legato_operator.k8s.token_review`` and ``main`` hands it to the app (the api layer never imports
k8s). This module has `StaticTokens`, the tokens file for clients outside the cluster,
and `FirstOf`, which tries several in turn.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Protocol

import yaml
from aiohttp import typedefs, web
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from legato.api.workflowservice import v1 as api
from legato_operator import errors
from legato_operator.api import edge
from legato_operator.api.access import Access

log = logging.getLogger(__name__)

OPEN_PATHS = frozenset({"/healthz", "/readyz", "/metrics", "/openapi.json", "/", "/ui"})
# The web UI's page and static files: the same for everyone, and holding no data.
OPEN_PREFIXES = ("/ui/",)
ALL_NAMESPACES = "*"
MIN_TOKEN_LENGTH = 16


class Reviewer(Protocol):
    """Decides each call of a principal whom an outside authorizer judges (Kubernetes RBAC)."""

    async def allowed(self, access: Access, namespace: str) -> bool:
        """Whether the principal may do ``access`` in ``namespace`` ("" for cluster-wide).

        Raises:
            AuthUnavailable: the authorizer cannot be asked now (retry later).
        """
        ...


@dataclass(frozen=True)
class Principal:
    """An authenticated caller: ``namespaces`` None means every namespace.

    With a ``reviewer``, the namespaces say nothing: each call is judged by the reviewer,
    from what its operation asks (`api.access`).
    """

    name: str
    namespaces: frozenset[str] | None
    reviewer: Reviewer | None = field(default=None, compare=False)

    def may_act_in(self, namespace: str) -> bool:
        """Whether this principal may call the API of ``namespace`` (a reviewer decides later)."""
        return self.reviewer is not None or self.namespaces is None or namespace in self.namespaces


async def authorize(who: Principal, access: Access, namespace: str, operation: str) -> None:
    """Refuse the call unless ``who`` may do ``access`` there; ``namespace`` "" for a call
    of no namespace. A principal without a reviewer was judged by namespace at the edge.

    Raises:
        errors.PermissionDenied: it may not (the message names what RBAC would have to grant).
        AuthUnavailable: the reviewer cannot decide now.
    """
    if who.reviewer is not None:
        scope = "" if access.cluster_wide else namespace
        if not await who.reviewer.allowed(access, scope):
            where = "in every namespace" if not scope else f"in namespace '{scope}'"
            raise errors.PermissionDenied(f"'{who.name}' may not call {operation}: it needs {access} {where}")
    elif access.cluster_wide and who.namespaces is not None:
        raise errors.PermissionDenied(f"'{who.name}' may not call {operation}: it needs every namespace")


# Who every caller is when authentication is off (`--auth none`, dev mode).
ANONYMOUS = Principal("anonymous", None)
PRINCIPAL = web.RequestKey("principal", Principal)


class Authenticator(Protocol):
    """Turns a bearer token into a principal."""

    async def authenticate(self, token: str) -> Principal | None:
        """The token's principal, or None when the token is not valid.

        Raises:
            AuthUnavailable: the token cannot be checked right now (retry later).
        """
        ...


class AuthUnavailable(Exception):
    """An authenticator could not decide (its backend is unreachable); the call may be retried."""


def principal(request: web.Request) -> Principal:
    """The caller of ``request``; `ANONYMOUS` when authentication is off."""
    who: Principal = request.get(PRINCIPAL, ANONYMOUS)
    return who


Middleware = typedefs.Middleware


def middleware(authenticator: Authenticator) -> Middleware:
    """The aiohttp middleware that authenticates and authorizes every API call."""

    @web.middleware
    async def authenticate(request: web.Request, handler: typedefs.Handler) -> web.StreamResponse:
        if request.path in OPEN_PATHS or request.path.startswith(OPEN_PREFIXES):
            return await handler(request)
        token = bearer_token(request.headers.get("Authorization", ""))
        if token is None:
            return _unauthenticated("this call needs an 'Authorization: Bearer <token>' header")
        try:
            who = await authenticator.authenticate(token)
        except AuthUnavailable as e:
            log.warning("Cannot authenticate %s %s: %s", request.method, request.path, e)
            body = api.ErrorBody(error="Unavailable", message="cannot check the token now; try again shortly")
            response = edge.json_response(body, status=503)
            response.headers["Retry-After"] = "1"
            return response
        if who is None:
            return _unauthenticated("the bearer token is not valid (expired, revoked, or for another audience)")
        namespace = request.match_info.get("namespace")
        if namespace is not None and not who.may_act_in(namespace):
            log.info(
                "Refused %s %s: '%s' may not act in namespace '%s'", request.method, request.path, who.name, namespace
            )
            return _permission_denied(who, namespace)
        request[PRINCIPAL] = who
        return await handler(request)

    return authenticate


def bearer_token(header: str) -> str | None:
    """``Bearer abc`` → ``abc``; None for a missing, empty or other-scheme header."""
    scheme, _sep, token = header.strip().partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None


def _unauthenticated(message: str) -> web.Response:
    response = edge.json_response(api.ErrorBody(error="Unauthenticated", message=message), status=401)
    response.headers["WWW-Authenticate"] = 'Bearer realm="legato"'
    return response


def _permission_denied(who: Principal, namespace: str) -> web.Response:
    message = f"'{who.name}' may not act in namespace '{namespace}'"
    return edge.json_response(api.ErrorBody(error="PermissionDenied", message=message), status=403)


class FirstOf:
    """Several authenticators tried in order; the first that accepts the token decides."""

    def __init__(self, authenticators: Sequence[Authenticator]) -> None:
        self.authenticators = tuple(authenticators)

    async def authenticate(self, token: str) -> Principal | None:
        """The principal from the first authenticator that knows the token."""
        for authenticator in self.authenticators:
            who = await authenticator.authenticate(token)
            if who is not None:
                return who
        return None


# --- the tokens file ---------------------------------------------------------------------


class TokenEntry(BaseModel):
    """One client token of the tokens file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1, max_length=253)
    token: str = Field(min_length=MIN_TOKEN_LENGTH)
    namespaces: Annotated[list[str], Field(min_length=1)]

    @field_validator("namespaces")
    @classmethod
    def _star_alone(cls, value: list[str]) -> list[str]:
        if ALL_NAMESPACES in value and len(value) > 1:
            raise ValueError(f"'{ALL_NAMESPACES}' (every namespace) must be the only entry")
        return value

    def principal(self) -> Principal:
        """The principal this token authenticates as."""
        if self.namespaces == [ALL_NAMESPACES]:
            return Principal(self.name, None)
        return Principal(self.name, frozenset(self.namespaces))


class TokensFile(BaseModel):
    """``{tokens: [{name, token, namespaces: [...] or ["*"]}]}``, as YAML or JSON."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    tokens: list[TokenEntry]


class TokensFileError(ValueError):
    """The tokens file is missing or malformed; the message names the file and the field."""


def parse_tokens(text: str, source: str) -> list[TokenEntry]:
    """The entries of a tokens file's text (YAML, of which JSON is a subset).

    Raises:
        TokensFileError: it does not parse, has an unknown field, or repeats a token.
    """
    try:
        data = yaml.safe_load(text)
        entries = TokensFile.model_validate(data).tokens
    except yaml.YAMLError as e:
        raise TokensFileError(f"{source}: not YAML or JSON: {e}") from None
    except ValidationError as e:
        raise TokensFileError(f"{source}: {edge.validation_error(e).message}") from None
    seen: set[str] = set()
    for entry in entries:
        if entry.token in seen:
            raise TokensFileError(f"{source}: a token is listed twice (second time for '{entry.name}')")
        seen.add(entry.token)
    return entries


def _digest(token: str) -> bytes:
    # Fixed-length digests: compare_digest then takes the same time whatever the lengths.
    return hashlib.sha256(token.encode()).digest()


class StaticTokens:
    """Static client tokens, compared in constant time; for clients outside the cluster.

    Built from a file with `from_file`, it re-reads the file when it changes (a Secret
    mounted as a volume is updated in place), keeping the last good tokens if the new
    content is malformed.
    """

    def __init__(self, entries: Sequence[TokenEntry], *, path: Path | None = None) -> None:
        self._entries = [(_digest(e.token), e.principal()) for e in entries]
        self._path = path
        self._stamp = _stamp(path) if path is not None else None

    @classmethod
    def from_file(cls, path: str | os.PathLike[str]) -> StaticTokens:
        """The tokens of the file at ``path``.

        Raises:
            TokensFileError: it cannot be read or is malformed.
        """
        file = Path(path)
        return cls(_read_tokens(file), path=file)

    async def authenticate(self, token: str) -> Principal | None:
        """The principal of the entry holding ``token``, or None."""
        self._reload_if_changed()
        digest = _digest(token)
        found: Principal | None = None
        # No early exit: the time taken does not say which entry (if any) matched.
        for known, who in self._entries:
            if hmac.compare_digest(known, digest):
                found = who
        return found

    def _reload_if_changed(self) -> None:
        if self._path is None or _stamp(self._path) == self._stamp:
            return
        self._stamp = _stamp(self._path)
        try:
            entries = _read_tokens(self._path)
        except TokensFileError as e:
            log.error("Keeping the previous tokens: %s", e)
            return
        self._entries = [(_digest(e.token), e.principal()) for e in entries]
        log.info("Reloaded %d token(s) from %s", len(entries), self._path)


def _read_tokens(path: Path) -> list[TokenEntry]:
    try:
        text = path.read_text()
    except OSError as e:
        raise TokensFileError(f"{path}: cannot read the tokens file: {e.strerror or e}") from None
    return parse_tokens(text, str(path))


def _stamp(path: Path) -> tuple[int, int, int] | None:
    # A Secret volume swaps a symlink: the inode changes even when the mtime does not.
    try:
        st = path.stat()
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_ino, st.st_size)
