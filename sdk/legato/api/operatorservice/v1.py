"""Requests and responses of a namespace's custom search attributes, as Temporal's operator
service; the namespace is the one of the path. Types travel by Temporal's names (the ``type``
metadata of a search attribute payload): ``Keyword``, ``Text``, ``Int``, ``Double``,
``Bool``, ``Datetime``, ``KeywordList``."""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field

from legato.api.common.v1 import Name, WireModel

# Custom search attributes one namespace may register.
MAX_SEARCH_ATTRIBUTES = 100


class SearchAttributeType(StrEnum):
    """A search attribute's type: what its values are and which operators filter on them."""

    KEYWORD = "Keyword"
    TEXT = "Text"
    INT = "Int"
    DOUBLE = "Double"
    BOOL = "Bool"
    DATETIME = "Datetime"
    KEYWORD_LIST = "KeywordList"


class AddSearchAttributesRequest(WireModel):
    search_attributes: dict[Name, SearchAttributeType] = Field(min_length=1, max_length=MAX_SEARCH_ATTRIBUTES)


class RemoveSearchAttributesRequest(WireModel):
    search_attributes: list[Name] = Field(min_length=1, max_length=MAX_SEARCH_ATTRIBUTES)


class ListSearchAttributesRequest(WireModel):
    """List the namespace's custom search attributes and the system ones."""


class ListSearchAttributesResponse(WireModel):
    custom_attributes: dict[str, SearchAttributeType]
    system_attributes: dict[str, SearchAttributeType]
