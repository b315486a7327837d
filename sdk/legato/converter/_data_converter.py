"""The data converter a client and its workers share: payload and failure converters and
an optional payload codec, as ``temporalio.converter.DataConverter``."""

from __future__ import annotations

import dataclasses
from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Any, ClassVar, TypeVar

from pydantic import BaseModel

from legato.api.common.v1 import Failure, Payload
from legato.api.payloads import transform_payloads
from legato.converter._failure_converter import DefaultFailureConverter, FailureConverter
from legato.converter._payload_converter import DefaultPayloadConverter, PayloadConverter

M = TypeVar("M", bound=BaseModel)


class PayloadCodec(ABC):
    """Changes payloads on their way to the server and back (encryption, compression).

    The server stores what ``encode`` returns and never reads it; ``decode`` must undo
    ``encode``. Each call gets the payloads of one field and returns as many.
    """

    @abstractmethod
    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        """The payloads as they are to be sent."""

    @abstractmethod
    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        """The payloads as ``encode`` was given them."""

    async def encode_failure(self, failure: Failure) -> Failure:
        """The failure with every payload of its chain encoded (details, encoded attributes)."""
        return await transform_payloads(failure, self.encode)

    async def decode_failure(self, failure: Failure) -> Failure:
        """The failure with every payload of its chain decoded."""
        return await transform_payloads(failure, self.decode)


@dataclasses.dataclass(frozen=True)
class DataConverter:
    """How values and exceptions cross to the server: payload converter, failure converter
    and codec. Replace fields with ``dataclasses.replace(DataConverter.default, ...)``.

    Workflow code converts synchronously through ``payload_converter`` and
    ``failure_converter``; the codec runs in the client and the worker around each call.
    """

    payload_converter_class: type[PayloadConverter] = DefaultPayloadConverter
    payload_codec: PayloadCodec | None = None
    failure_converter_class: type[FailureConverter] = DefaultFailureConverter
    payload_converter: PayloadConverter = dataclasses.field(init=False)
    failure_converter: FailureConverter = dataclasses.field(init=False)

    default: ClassVar[DataConverter]

    def __post_init__(self) -> None:
        object.__setattr__(self, "payload_converter", self.payload_converter_class())
        object.__setattr__(self, "failure_converter", self.failure_converter_class())

    async def encode(self, values: Sequence[Any]) -> list[Payload]:
        """Values into payloads, through the codec."""
        payloads = self.payload_converter.to_payloads(values)
        return payloads if self.payload_codec is None else await self.payload_codec.encode(payloads)

    async def decode(self, payloads: Sequence[Payload], type_hints: list[Any] | None = None) -> list[Any]:
        """Payloads (through the codec) into values by the given type hints."""
        if self.payload_codec is not None:
            payloads = await self.payload_codec.decode(payloads)
        return self.payload_converter.from_payloads(payloads, type_hints)

    async def encode_failure(self, exception: BaseException) -> Failure:
        """An exception (and its cause chain) as a wire failure, through the codec."""
        failure = self.failure_converter.to_failure(exception, self.payload_converter)
        return failure if self.payload_codec is None else await self.payload_codec.encode_failure(failure)

    async def decode_failure(self, failure: Failure) -> BaseException:
        """A wire failure (and its cause chain), through the codec, as an exception."""
        if self.payload_codec is not None:
            failure = await self.payload_codec.decode_failure(failure)
        return self.failure_converter.from_failure(failure, self.payload_converter)


DataConverter.default = DataConverter()


# Headers do not go through the codec: Temporal's default (HeaderCodecBehavior.NO_CODEC),
# and the only behaviour Legato has. Search attributes never do, in any SDK: the server
# reads and indexes them.
_NOT_ENCODED = frozenset({"header", "search_attributes"})


async def encode_wire(converter: DataConverter, model: M) -> M:
    """``model`` (a request, a completion) with every payload in it but headers and search
    attributes encoded by the codec."""
    codec = converter.payload_codec
    return model if codec is None else await transform_payloads(model, codec.encode, skip=_NOT_ENCODED)


async def decode_wire(converter: DataConverter, model: M) -> M:
    """``model`` (a polled task, a response) with every payload in it but headers and search
    attributes decoded by the codec."""
    codec = converter.payload_codec
    return model if codec is None else await transform_payloads(model, codec.decode, skip=_NOT_ENCODED)
