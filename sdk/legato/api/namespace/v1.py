"""Requests and responses of the namespace operations, with Temporal's field names.

The namespace a call is about is the one in its path, as for every other operation; only
``ListNamespacesRequest`` has none. A retention of None is the server's setting for the
namespace (``--namespace-retention``, else ``--retention``: 7 days by default).
"""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from legato.api.common.v1 import Name, Seconds, Text, WireModel

MAX_DATA_ENTRIES = 64
MAX_LIST_PAGE_SIZE = 1000


class RegisterNamespaceRequest(WireModel):
    description: Text = ""
    owner_email: Text = ""
    workflow_execution_retention_period: Seconds | None = Field(
        default=None, description="Seconds a closed run is kept; the server's setting when absent."
    )
    data: dict[Name, Text] = Field(default_factory=dict, max_length=MAX_DATA_ENTRIES)


class UpdateNamespaceRequest(WireModel):
    """What to change; an absent field stays as it is, and ``data`` keys are upserted."""

    description: Text | None = None
    owner_email: Text | None = None
    workflow_execution_retention_ttl: Seconds | None = None
    data: dict[Name, Text] = Field(default_factory=dict, max_length=MAX_DATA_ENTRIES)


class DescribeNamespaceRequest(WireModel):
    """Describe the namespace of the path."""


class NamespaceInfo(WireModel):
    name: str
    id: str
    state: str = "REGISTERED"
    description: str = ""
    owner_email: str = ""
    data: dict[str, str] = Field(default_factory=dict)


class NamespaceConfig(WireModel):
    # The retention in force: the namespace's own, or the server's setting for it.
    workflow_execution_retention_ttl: float
    # Whether that is the server's setting (the namespace sets none of its own).
    retention_from_server: bool = False


class DescribeNamespaceResponse(WireModel):
    namespace_info: NamespaceInfo
    config: NamespaceConfig
    created_time: datetime
    updated_time: datetime


class ListNamespacesRequest(WireModel):
    page_size: int = Field(default=100, ge=1, le=MAX_LIST_PAGE_SIZE)
    next_page_token: str | None = Field(default=None, max_length=4096)


class ListNamespacesResponse(WireModel):
    namespaces: list[DescribeNamespaceResponse]
    # Absent on the last page.
    next_page_token: str | None = None
