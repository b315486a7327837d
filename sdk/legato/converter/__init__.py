"""Conversion of values to payloads and of exceptions to failures, as ``temporalio.converter``.

A ``DataConverter`` holds a payload converter (values to Temporal ``Payload`` s: ``None``
as ``binary/null``, ``bytes`` as ``binary/plain``, everything else as ``json/plain``), a
failure converter and an optional ``PayloadCodec`` that encodes every payload before it
leaves the process (encryption, compression) and decodes it on the way back. Decoding
rebuilds a value from the type hint of the receiving side (the parameter annotations of
the workflow, activity or signal, or the declared result type) through pydantic.

The search attribute functions turn ``legato.common``'s search attributes into the
payloads Temporal's server indexes (a mapping of name to payload) and back.
"""

from legato.converter._data_converter import DataConverter, PayloadCodec
from legato.converter._failure_converter import DefaultFailureConverter, FailureConverter
from legato.converter._payload_converter import (
    AdvancedJSONEncoder,
    BinaryNullPayloadConverter,
    BinaryPlainPayloadConverter,
    CompositePayloadConverter,
    DefaultPayloadConverter,
    EncodingPayloadConverter,
    JSONPlainPayloadConverter,
    JSONTypeConverter,
    PayloadConverter,
    value_to_type,
)
from legato.converter._search_attributes import (
    decode_search_attributes,
    decode_typed_search_attributes,
    encode_search_attribute_values,
    encode_search_attributes,
    encode_typed_search_attribute_value,
)

__all__ = [
    "AdvancedJSONEncoder",
    "BinaryNullPayloadConverter",
    "BinaryPlainPayloadConverter",
    "CompositePayloadConverter",
    "DataConverter",
    "DefaultFailureConverter",
    "DefaultPayloadConverter",
    "EncodingPayloadConverter",
    "FailureConverter",
    "JSONPlainPayloadConverter",
    "JSONTypeConverter",
    "PayloadCodec",
    "PayloadConverter",
    "decode_search_attributes",
    "decode_typed_search_attributes",
    "default",
    "encode_search_attribute_values",
    "encode_search_attributes",
    "encode_typed_search_attribute_value",
    "value_to_type",
]


def default() -> DataConverter:
    """The default data converter."""
    return DataConverter.default
