"""Legato's wire protocol: the JSON bodies that cross between clients, workers and the server.

Laid out as ``temporalio.api``: ``common.v1`` (payloads, retry policies, the shared
shapes), ``enums.v1`` (Temporal's enums with their integer values), ``failure.v1``,
``history.v1`` (events), ``command.v1`` (workflow-task commands) and ``workflowservice.v1``
(the service's requests and responses), as pydantic models; ``operations`` declares each
operation of the service once. Both the SDK and the server
import these, so there is one definition of the wire. Nothing here does I/O or holds state.

Conventions:
    * Durations are seconds as floats (``start_to_close_timeout: 30.0``).
    * Times are timezone-aware UTC datetimes, ISO 8601 on the wire.
    * Payloads are Temporal's ``Payload`` (metadata + bytes, base64 in JSON); ``legato.converter``
      turns Python values into them and back.
"""
