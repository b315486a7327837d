"""Typed search attributes, as ``temporalio.common``'s: keys, pairs, updates, collections.

Re-exported by ``legato.common``, which is where users import them from. A key is a name
and the server's index type; a ``TypedSearchAttributes`` is an immutable, name-sorted
collection of key/value pairs. Turning them into payloads is ``legato.converter``'s job.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import IntEnum
from typing import Any, ClassVar, Generic, NamedTuple, TypeAlias, TypeVar, get_origin, overload

# A list, not a sequence, as in temporalio: a str is a sequence too, and one passed by
# mistake for a list of keywords is then refused instead of indexed letter by letter.
SearchAttributeValues: TypeAlias = list[str] | list[int] | list[float] | list[bool] | list[datetime]

SearchAttributes: TypeAlias = Mapping[str, SearchAttributeValues]

SearchAttributeValue: TypeAlias = str | int | float | bool | datetime | Sequence[str]

SearchAttributeValueType = TypeVar("SearchAttributeValueType", str, int, float, bool, datetime, Sequence[str])

# The type of a default given to TypedSearchAttributes.get (temporalio.types.AnyType).
_AnyType = TypeVar("_AnyType")


class SearchAttributeIndexedValueType(IntEnum):
    """Server index type of a search attribute (the values of Temporal's ``IndexedValueType``)."""

    TEXT = 1
    KEYWORD = 2
    INT = 3
    DOUBLE = 4
    BOOL = 5
    DATETIME = 6
    KEYWORD_LIST = 7


# The ``type`` metadata of a payload of each index type, as Temporal's server writes it.
_METADATA_TYPES = {
    SearchAttributeIndexedValueType.TEXT: "Text",
    SearchAttributeIndexedValueType.KEYWORD: "Keyword",
    SearchAttributeIndexedValueType.INT: "Int",
    SearchAttributeIndexedValueType.DOUBLE: "Double",
    SearchAttributeIndexedValueType.BOOL: "Bool",
    SearchAttributeIndexedValueType.DATETIME: "Datetime",
    SearchAttributeIndexedValueType.KEYWORD_LIST: "KeywordList",
}


class SearchAttributeKey(ABC, Generic[SearchAttributeValueType]):
    """Typed search attribute key representation.

    Use one of the ``for`` static methods here to create a key.
    """

    @property
    @abstractmethod
    def name(self) -> str:
        """Get the name of the key."""

    @property
    @abstractmethod
    def indexed_value_type(self) -> SearchAttributeIndexedValueType:
        """Get the server index type of the key."""

    @property
    @abstractmethod
    def value_type(self) -> type[SearchAttributeValueType]:
        """Get the Python type of value for the key.

        This may contain generics which cannot be used in ``isinstance``.
        :py:attr:`origin_value_type` can be used instead.
        """

    @property
    def origin_value_type(self) -> type:
        """Get the Python type of value for the key without generics."""
        return get_origin(self.value_type) or self.value_type

    @property
    def _metadata_type(self) -> str:
        try:
            return _METADATA_TYPES[self.indexed_value_type]
        except KeyError:
            raise ValueError(f"Unrecognized type: {self}") from None

    def value_set(self, value: SearchAttributeValueType) -> SearchAttributeUpdate[SearchAttributeValueType]:
        """Create a search attribute update to set the given value on this key."""
        return _SearchAttributeUpdate[SearchAttributeValueType](self, value)

    def value_unset(self) -> SearchAttributeUpdate[SearchAttributeValueType]:
        """Create a search attribute update to unset the value on this key."""
        return _SearchAttributeUpdate[SearchAttributeValueType](self, None)

    @staticmethod
    def for_text(name: str) -> SearchAttributeKey[str]:
        """Create a 'Text' search attribute type."""
        return _SearchAttributeKey[str](name, SearchAttributeIndexedValueType.TEXT, str)

    @staticmethod
    def for_keyword(name: str) -> SearchAttributeKey[str]:
        """Create a 'Keyword' search attribute type."""
        return _SearchAttributeKey[str](name, SearchAttributeIndexedValueType.KEYWORD, str)

    @staticmethod
    def for_int(name: str) -> SearchAttributeKey[int]:
        """Create an 'Int' search attribute type."""
        return _SearchAttributeKey[int](name, SearchAttributeIndexedValueType.INT, int)

    @staticmethod
    def for_float(name: str) -> SearchAttributeKey[float]:
        """Create a 'Double' search attribute type."""
        return _SearchAttributeKey[float](name, SearchAttributeIndexedValueType.DOUBLE, float)

    @staticmethod
    def for_bool(name: str) -> SearchAttributeKey[bool]:
        """Create a 'Bool' search attribute type."""
        return _SearchAttributeKey[bool](name, SearchAttributeIndexedValueType.BOOL, bool)

    @staticmethod
    def for_datetime(name: str) -> SearchAttributeKey[datetime]:
        """Create a 'Datetime' search attribute type."""
        return _SearchAttributeKey[datetime](name, SearchAttributeIndexedValueType.DATETIME, datetime)

    @staticmethod
    def for_keyword_list(name: str) -> SearchAttributeKey[Sequence[str]]:
        """Create a 'KeywordList' search attribute type."""
        return _SearchAttributeKey[Sequence[str]](
            name,
            SearchAttributeIndexedValueType.KEYWORD_LIST,
            # mypy wants a concrete class for type[...] (python/mypy#4717); the alias is what
            # value_type is documented to hold, and origin_value_type strips it for isinstance.
            Sequence[str],  # type: ignore[type-abstract]
        )

    @staticmethod
    def _from_metadata_type(name: str, metadata_type: str) -> SearchAttributeKey[Any] | None:
        # The type metadata is usually in PascalCase (e.g. "KeywordList") but in rare
        # cases in SCREAMING_SNAKE_CASE (e.g. "INDEXED_VALUE_TYPE_KEYWORD_LIST").
        for index_type, pascal in _METADATA_TYPES.items():
            if metadata_type in (pascal, f"INDEXED_VALUE_TYPE_{index_type.name}"):
                return _key_for(name, index_type)
        return None

    @staticmethod
    def _guess_from_untyped_values(name: str, vals: SearchAttributeValues) -> SearchAttributeKey[Any] | None:
        if not vals:
            return None
        # Only strings come in lists of several (keyword lists); other lists have no key.
        elif len(vals) > 1:
            return SearchAttributeKey.for_keyword_list(name) if isinstance(vals[0], str) else None
        elif isinstance(vals[0], str):
            return SearchAttributeKey.for_keyword(name)
        # A bool is an int, so [True] is guessed Int, as temporalio guesses it (its Bool
        # branch comes after the Int one and is never taken).
        elif isinstance(vals[0], int):
            return SearchAttributeKey.for_int(name)
        elif isinstance(vals[0], float):
            return SearchAttributeKey.for_float(name)
        elif isinstance(vals[0], datetime):
            return SearchAttributeKey.for_datetime(name)
        return None


def _key_for(name: str, index_type: SearchAttributeIndexedValueType) -> SearchAttributeKey[Any]:
    makers: dict[SearchAttributeIndexedValueType, Callable[[str], SearchAttributeKey[Any]]] = {
        SearchAttributeIndexedValueType.TEXT: SearchAttributeKey.for_text,
        SearchAttributeIndexedValueType.KEYWORD: SearchAttributeKey.for_keyword,
        SearchAttributeIndexedValueType.INT: SearchAttributeKey.for_int,
        SearchAttributeIndexedValueType.DOUBLE: SearchAttributeKey.for_float,
        SearchAttributeIndexedValueType.BOOL: SearchAttributeKey.for_bool,
        SearchAttributeIndexedValueType.DATETIME: SearchAttributeKey.for_datetime,
        SearchAttributeIndexedValueType.KEYWORD_LIST: SearchAttributeKey.for_keyword_list,
    }
    return makers[index_type](name)


@dataclass(frozen=True)
class _SearchAttributeKey(SearchAttributeKey[SearchAttributeValueType]):
    """The one implementation of a key; a dataclass, so keys of one name and type are equal."""

    _name: str
    _indexed_value_type: SearchAttributeIndexedValueType
    # Python has no supported way to read a class's type argument at run time: set by hand.
    _value_type: type[SearchAttributeValueType]

    @property
    def name(self) -> str:
        """The key's name."""
        return self._name

    @property
    def indexed_value_type(self) -> SearchAttributeIndexedValueType:
        """The server's index type."""
        return self._indexed_value_type

    @property
    def value_type(self) -> type[SearchAttributeValueType]:
        """The Python type of its values (possibly generic)."""
        return self._value_type


class SearchAttributePair(NamedTuple, Generic[SearchAttributeValueType]):
    """A named tuple representing a key/value search attribute pair."""

    key: SearchAttributeKey[SearchAttributeValueType]
    value: SearchAttributeValueType


class SearchAttributeUpdate(ABC, Generic[SearchAttributeValueType]):
    """Representation of a search attribute update."""

    @property
    @abstractmethod
    def key(self) -> SearchAttributeKey[SearchAttributeValueType]:
        """Key that is being set."""

    @property
    @abstractmethod
    def value(self) -> SearchAttributeValueType | None:
        """Value that is being set or ``None`` if being unset."""


@dataclass(frozen=True)
class _SearchAttributeUpdate(SearchAttributeUpdate[SearchAttributeValueType]):
    """The one implementation of an update, made by ``value_set`` and ``value_unset``."""

    _key: SearchAttributeKey[SearchAttributeValueType]
    _value: SearchAttributeValueType | None

    @property
    def key(self) -> SearchAttributeKey[SearchAttributeValueType]:
        """Key that is being set."""
        return self._key

    @property
    def value(self) -> SearchAttributeValueType | None:
        """Value that is being set or ``None`` if being unset."""
        return self._value


@dataclass(frozen=True)
class TypedSearchAttributes(Collection[SearchAttributePair[Any]]):
    """Collection of typed search attributes.

    This is represented as an immutable collection of :py:class:`SearchAttributePair`.
    This can be created passing a sequence of pairs to the constructor.
    """

    search_attributes: Sequence[SearchAttributePair[Any]]
    """Underlying sequence of search attribute pairs. Do not mutate this, only create new
    ``TypedSearchAttributes`` instances.

    These are sorted by key name during construction. Duplicates cannot exist.
    """

    empty: ClassVar[TypedSearchAttributes]
    """Class variable representing an empty set of attributes."""

    def __post_init__(self) -> None:
        """Sort the pairs by key name and refuse two of one name.

        Raises:
            ValueError: Two pairs have keys of the same name (whatever their types).
        """
        # Sorted, so that collections of the same pairs are equal whatever their order.
        object.__setattr__(self, "search_attributes", sorted(self.search_attributes, key=lambda pair: pair.key.name))
        for i, pair in enumerate(self.search_attributes):
            if i > 0 and self.search_attributes[i - 1].key.name == pair.key.name:
                raise ValueError(f"Duplicate search attribute entries found for key {pair.key.name}")

    def __len__(self) -> int:
        """Get the number of search attributes."""
        return len(self.search_attributes)

    def __getitem__(self, key: SearchAttributeKey[SearchAttributeValueType]) -> SearchAttributeValueType:
        """Get a single search attribute value by key or fail with ``KeyError``.

        The key must be equal (same name and type), not just of the same name.
        """
        ret: SearchAttributeValueType | None = next((v for k, v in self if k == key), None)
        if ret is None:
            raise KeyError()
        return ret

    def __iter__(self) -> Iterator[SearchAttributePair[Any]]:
        """Get an iterator over search attribute key/value pairs."""
        return iter(self.search_attributes)

    def __contains__(self, key: object) -> bool:
        """Check whether this search attribute contains the given key.

        This uses key equality so the key must be the same name and type.
        """
        return any(k == key for k, _v in self)

    @overload
    def get(self, key: SearchAttributeKey[SearchAttributeValueType]) -> SearchAttributeValueType | None: ...

    @overload
    def get(
        self, key: SearchAttributeKey[SearchAttributeValueType], default: _AnyType
    ) -> SearchAttributeValueType | _AnyType: ...

    def get(self, key: SearchAttributeKey[SearchAttributeValueType], default: Any | None = None) -> Any:
        """Get an attribute value for a key (or default). This is similar to ``dict.get``."""
        try:
            return self.__getitem__(key)
        except KeyError:
            return default

    def updated(self, *search_attributes: SearchAttributePair[Any]) -> TypedSearchAttributes:
        """Copy this collection, replacing attributes with matching key names or adding if
        key name not present.

        A pair replaces the one of the same name even when the key's type differs.
        """
        attrs = list(self.search_attributes)
        for attr in search_attributes:
            existing_index = next((i for i, a in enumerate(attrs) if a.key.name == attr.key.name), None)
            if existing_index is None:
                attrs.append(attr)
            else:
                attrs[existing_index] = attr
        return TypedSearchAttributes(attrs)


TypedSearchAttributes.empty = TypedSearchAttributes(search_attributes=[])
