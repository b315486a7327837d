"""The one module that talks to the Kubernetes API (besides kopf's own watching).

A thin async face over the official `kubernetes` client: its calls block, so each runs in
a worker thread. Every other module builds manifests with `builders` and hands them here.
Writes use server-side apply with the field manager ``legato`` so that fields other
managers own (an HPA's replicas, a user's labels) are left alone.
"""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import kubernetes
import urllib3
from kubernetes.client import ApiClient
from kubernetes.client.exceptions import ApiException

log = logging.getLogger(__name__)

GROUP = "legato.dev"
VERSION = "v1alpha1"
FIELD_MANAGER = "legato"
APPLY_PATCH = "application/apply-patch+yaml"
MERGE_PATCH = "application/merge-patch+json"
JSON_PATCH = "application/json-patch+json"
EVENT_SOURCE = "legato-operator"


class KubeError(RuntimeError):
    """A Kubernetes API call failed; ``status`` is the HTTP status (0 when unreachable).

    ``detail`` is the API server's own message (e.g. which field of a Deployment is invalid)
    when it sent one, else the whole error text.
    """

    def __init__(self, message: str, *, status: int = 0, detail: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.detail = detail or message


@dataclass(frozen=True)
class TokenIdentity:
    """Who a ServiceAccount token belongs to, as a TokenReview answers."""

    username: str
    groups: tuple[str, ...]
    uid: str = ""
    # The authenticator's extra attributes (scopes, a token's pod), which RBAC may judge by.
    extra: tuple[tuple[str, tuple[str, ...]], ...] = ()

    @property
    def service_account_namespace(self) -> str | None:
        """``system:serviceaccount:<ns>:<name>`` → ``<ns>``; None for other users."""
        parts = self.username.split(":")
        if len(parts) == 4 and parts[:2] == ["system", "serviceaccount"]:
            return parts[2]
        return None


@dataclass(frozen=True)
class ResourceAttributes:
    """What a SubjectAccessReview asks about: a verb on a resource, in a namespace or ("") cluster-wide."""

    verb: str
    group: str
    resource: str
    subresource: str = ""
    namespace: str = ""

    def as_dict(self) -> dict[str, str]:
        fields = {"verb": self.verb, "group": self.group, "resource": self.resource}
        return fields | {k: v for k, v in (("subresource", self.subresource), ("namespace", self.namespace)) if v}


def load_api_client(kubeconfig: str | None = None) -> ApiClient:
    """An API client from ``kubeconfig``, else in-cluster config, else the default kubeconfig."""
    configuration = kubernetes.client.Configuration()
    if kubeconfig:
        kubernetes.config.load_kube_config(config_file=kubeconfig, client_configuration=configuration)
    else:
        try:
            kubernetes.config.load_incluster_config(client_configuration=configuration)
        except kubernetes.config.ConfigException:
            kubernetes.config.load_kube_config(client_configuration=configuration)
    return ApiClient(configuration)


class Kube:
    """The calls Legato makes, each async and each raising `KubeError` on failure."""

    def __init__(self, api_client: ApiClient) -> None:
        self.api_client = api_client
        self._core = kubernetes.client.CoreV1Api(api_client)
        self._apps = kubernetes.client.AppsV1Api(api_client)
        self._custom = kubernetes.client.CustomObjectsApi(api_client)
        self._auth = kubernetes.client.AuthenticationV1Api(api_client)
        self._authz = kubernetes.client.AuthorizationV1Api(api_client)
        self._coordination = kubernetes.client.CoordinationV1Api(api_client)

    def close(self) -> None:
        """Close the client's connection pool."""
        self.api_client.close()

    async def apply_deployment(self, deployment: dict[str, Any]) -> dict[str, Any]:
        """Server-side apply of a Deployment; returns the stored object."""
        meta = deployment["metadata"]
        return await self._call(
            self._apps.patch_namespaced_deployment,
            meta["name"],
            meta["namespace"],
            deployment,
            field_manager=FIELD_MANAGER,
            force=True,
            _content_type=APPLY_PATCH,
        )

    async def apply_service_account(self, account: dict[str, Any]) -> dict[str, Any]:
        """Server-side apply of a ServiceAccount; returns the stored object."""
        meta = account["metadata"]
        return await self._call(
            self._core.patch_namespaced_service_account,
            meta["name"],
            meta["namespace"],
            account,
            field_manager=FIELD_MANAGER,
            force=True,
            _content_type=APPLY_PATCH,
        )

    async def get_deployment(self, namespace: str, name: str) -> dict[str, Any] | None:
        """The Deployment, or None when there is none."""
        return await self._get(self._apps.read_namespaced_deployment, name, namespace)

    async def get_custom(self, plural: str, namespace: str, name: str) -> dict[str, Any] | None:
        """One of our resources, or None when it is gone."""
        return await self._get(self._custom.get_namespaced_custom_object, GROUP, VERSION, namespace, plural, name)

    async def delete_custom(self, plural: str, namespace: str, name: str, *, uid: str) -> bool:
        """Delete that object of ours (a re-created one of the same name, another uid, is left
        alone); False when it is already gone or is not that object any more."""
        body = kubernetes.client.V1DeleteOptions(preconditions=kubernetes.client.V1Preconditions(uid=uid))
        try:
            await self._call(
                self._custom.delete_namespaced_custom_object, GROUP, VERSION, namespace, plural, name, body=body
            )
        except KubeError as e:
            # 404: gone already; 409: the uid precondition failed (another object of that name).
            if e.status in (404, 409):
                return False
            raise
        return True

    async def patch_custom_status(
        self, plural: str, namespace: str, name: str, status: dict[str, Any], *, uid: str | None = None
    ) -> bool:
        """Write ``status`` into the resource's status subresource; False if the resource is gone.

        Without ``uid``, ``status`` is merged in. With ``uid``, it replaces the status of that
        object only (a JSON patch that first tests the uid): a re-created resource of the same
        name, another uid, counts as gone.
        """
        body: Any = {"status": status}
        kwargs: dict[str, Any] = {}
        if uid is not None:
            body = [
                {"op": "test", "path": "/metadata/uid", "value": uid},
                {"op": "add", "path": "/status", "value": status},
            ]
            kwargs["_content_type"] = JSON_PATCH
        try:
            await self._call(
                self._custom.patch_namespaced_custom_object_status,
                GROUP,
                VERSION,
                namespace,
                plural,
                name,
                body,
                **kwargs,
            )
        except KubeError as e:
            if e.status == 404:
                return False
            # A failed uid test, or a status the schema refuses: only the first means gone.
            if uid is not None and e.status == 422:
                current = await self.get_custom(plural, namespace, name)
                if current is None or current["metadata"].get("uid") != uid:
                    return False
            raise
        return True

    async def post_event(self, involved: dict[str, Any], *, reason: str, message: str, warning: bool = False) -> None:
        """Record a core/v1 Event about ``involved`` (apiVersion, kind, name, namespace, uid).

        Events are a courtesy to people: one that cannot be posted is logged, not raised.
        """
        now = now_rfc3339()
        event = {
            "apiVersion": "v1",
            "kind": "Event",
            "metadata": {"generateName": f"{involved['name']}.", "namespace": involved["namespace"]},
            "involvedObject": involved,
            "type": "Warning" if warning else "Normal",
            "reason": reason,
            "message": message[:1024],
            "source": {"component": EVENT_SOURCE},
            "reportingComponent": EVENT_SOURCE,
            "reportingInstance": EVENT_SOURCE,
            "firstTimestamp": now,
            "lastTimestamp": now,
            "count": 1,
        }
        try:
            await self._call(self._core.create_namespaced_event, involved["namespace"], event)
        except KubeError as e:
            log.warning("Could not post event %s for %s/%s: %s", reason, involved["namespace"], involved["name"], e)

    async def review_token(self, token: str, audiences: list[str] | None = None) -> TokenIdentity | None:
        """Ask the API server whose token this is; None when it is not valid."""
        spec: dict[str, Any] = {"token": token}
        if audiences:
            spec["audiences"] = audiences
        body = {"apiVersion": "authentication.k8s.io/v1", "kind": "TokenReview", "spec": spec}
        review = await self._call(self._auth.create_token_review, body)
        status = review.get("status") or {}
        if not status.get("authenticated"):
            return None
        user = status.get("user") or {}
        extra = tuple(sorted((k, tuple(v)) for k, v in (user.get("extra") or {}).items()))
        return TokenIdentity(
            username=user.get("username", ""),
            groups=tuple(user.get("groups") or ()),
            uid=user.get("uid", ""),
            extra=extra,
        )

    async def review_access(self, who: TokenIdentity, attributes: ResourceAttributes) -> bool:
        """Ask the API server whether RBAC (or its authorizer) lets ``who`` do that."""
        spec: dict[str, Any] = {
            "user": who.username,
            "groups": list(who.groups),
            "uid": who.uid,
            "extra": {k: list(v) for k, v in who.extra},
            "resourceAttributes": attributes.as_dict(),
        }
        body = {"apiVersion": "authorization.k8s.io/v1", "kind": "SubjectAccessReview", "spec": spec}
        review = await self._call(self._authz.create_subject_access_review, body)
        return bool((review.get("status") or {}).get("allowed"))

    async def get_lease(self, namespace: str, name: str) -> dict[str, Any] | None:
        return await self._get(self._coordination.read_namespaced_lease, name, namespace)

    async def create_lease(self, namespace: str, lease: dict[str, Any]) -> dict[str, Any]:
        return await self._call(self._coordination.create_namespaced_lease, namespace, lease)

    async def replace_lease(self, namespace: str, name: str, lease: dict[str, Any]) -> dict[str, Any]:
        """Replace conditionally: ``lease.metadata.resourceVersion`` must still be current (else 409)."""
        return await self._call(self._coordination.replace_namespaced_lease, name, namespace, lease)

    async def _get(self, method: Any, *args: Any) -> dict[str, Any] | None:
        try:
            return await self._call(method, *args)
        except KubeError as e:
            if e.status == 404:
                return None
            raise

    async def _call(self, method: Any, *args: Any, **kwargs: Any) -> dict[str, Any]:
        try:
            result = await asyncio.to_thread(method, *args, **kwargs)
        except ApiException as e:
            message = f"{method.__name__}: {e.status} {e.reason}: {e.body}"
            raise KubeError(message, status=e.status or 0, detail=_status_message(e.body)) from e
        # urllib3 gives up with MaxRetryError (not an OSError) when the API server is unreachable.
        except (OSError, urllib3.exceptions.HTTPError) as e:
            raise KubeError(f"{method.__name__}: Kubernetes API unreachable: {e}") from e
        if isinstance(result, dict):
            return result
        serialized: dict[str, Any] = self.api_client.sanitize_for_serialization(result)
        return serialized


def _status_message(body: Any) -> str | None:
    """The ``message`` of a Kubernetes Status body, if the body is one."""
    try:
        status = json.loads(body)
    except (TypeError, ValueError):
        return None
    message = status.get("message") if isinstance(status, dict) else None
    return message if isinstance(message, str) else None


def now_rfc3339() -> str:
    """The current time as Kubernetes writes timestamps (microsecond precision, UTC)."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
