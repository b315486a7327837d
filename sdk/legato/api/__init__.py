"""Legato's wire protocol: the JSON bodies that cross between clients, workers and the server.

Mirrors ``temporalio.api``: the shapes of history events, workflow-task commands, failures
and the service's requests and responses, as pydantic models. Both the SDK and the server
import these, so there is one definition of the wire. Nothing here does I/O or holds state.

Conventions:
    * Durations are seconds as floats (``start_to_close_timeout: 30.0``).
    * Times are timezone-aware UTC datetimes, ISO 8601 on the wire.
    * Payloads are JSON values; ``legato.converter`` turns Python values into them and back.
"""
