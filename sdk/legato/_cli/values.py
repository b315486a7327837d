"""Values in and out of the command line: JSON inputs, durations, and payloads for people.

Inputs are JSON, as the Temporal CLI takes them: each ``--input`` (or ``--input-file``) is
one argument. Outputs decode ``json/plain`` payloads into their values; any other encoding
(a codec's output) is shown as its encoding and size, never as bytes, because only the
user's codec could read it (design: payloads are opaque to everything but tools for people,
and those decode ``json/plain`` only).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from enum import Enum
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from legato._cli.errors import UsageError
from legato.api.common.v1 import Payload
from legato.converter import DataConverter

_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d)")
_UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}


def parse_json(text: str, flag: str) -> Any:
    """``text`` as JSON; a usage error names ``flag`` and the position when it is not."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        raise UsageError(f"{flag} is not valid JSON: {e.msg} at line {e.lineno} column {e.colno}") from None


def inputs(texts: Sequence[str] | None, files: Sequence[str] | None) -> list[Any]:
    """The arguments of ``--input`` flags, then those of ``--input-file`` flags."""
    values = [parse_json(text, f"--input {text!r}") for text in texts or ()]
    for name in files or ():
        values.append(parse_json(_read(name), f"--input-file {name}"))
    return values


def _read(name: str) -> str:
    try:
        return Path(name).read_text()
    except OSError as e:
        raise UsageError(f"cannot read --input-file {name}: {e.strerror or e}") from None


def key_values(items: Sequence[str] | None, flag: str, *, as_json: bool) -> dict[str, Any]:
    """``KEY=VALUE`` flags as a mapping; the values parsed as JSON when ``as_json``."""
    result: dict[str, Any] = {}
    for item in items or ():
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise UsageError(f"{flag} {item!r} is not KEY=VALUE")
        result[key] = parse_json(value, f"{flag} {key}") if as_json else value
    return result


def duration(text: str) -> timedelta:
    """``90``, ``30s``, ``5m``, ``1h30m`` or ``7d`` as a timedelta (a bare number is seconds)."""
    if re.fullmatch(r"\d+(\.\d+)?", text):
        return timedelta(seconds=float(text))
    parts = _DURATION.findall(text)
    if not parts or "".join(n + u for n, u in parts) != text:
        raise UsageError(f"{text!r} is not a duration (as 90, 30s, 5m, 1h30m or 7d)")
    return timedelta(seconds=sum(float(n) * _UNIT_SECONDS[u] for n, u in parts))


def timestamp(text: str) -> datetime:
    """An RFC 3339 time; one without a zone is UTC."""
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise UsageError(f"{text!r} is not a time (as 2026-01-31T12:00:00Z)") from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def payload_value(payload: Payload | None) -> Any:
    """What a person reads of a payload: its value when it is plain JSON."""
    if payload is None:
        return None
    encoding = payload.metadata.get("encoding", b"").decode("utf-8", "replace")
    if encoding in ("json/plain", "binary/null"):
        return DataConverter.default.payload_converter.from_payload(payload)
    return {"encoding": encoding, "size": len(payload.data)}


def jsonable(value: Any) -> Any:
    """A wire model (or anything holding them) as JSON values, payloads decoded."""
    if isinstance(value, Payload):
        return payload_value(value)
    if isinstance(value, BaseModel):
        return {name: jsonable(getattr(value, name)) for name in type(value).model_fields}
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, datetime):
        aware = value if value.tzinfo else value.replace(tzinfo=UTC)
        return aware.astimezone(UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, Enum):
        return value.name if isinstance(value.value, int) else value.value
    return value


def time_text(value: datetime | None, *, milliseconds: bool = False) -> str:
    """A time as RFC 3339 in UTC, to the second or the millisecond ('' for none): what tables show."""
    if value is None:
        return ""
    aware = (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(UTC)
    if milliseconds:
        return aware.strftime("%Y-%m-%dT%H:%M:%S.") + f"{aware.microsecond // 1000:03d}Z"
    return aware.strftime("%Y-%m-%dT%H:%M:%SZ")


def seconds_text(value: float | None) -> str:
    """Seconds as a short duration: ``45s``, ``3m20s``, ``7d`` ('' for none)."""
    if value is None:
        return ""
    total = round(value)
    if total < 60:
        return f"{value:.3g}s" if value < 10 else f"{total}s"
    units = (("d", 86400), ("h", 3600), ("m", 60), ("s", 1))
    parts = []
    for name, size in units:
        count, total = divmod(total, size)
        if count:
            parts.append(f"{count}{name}")
    return "".join(parts)


def compact(value: Any) -> str:
    """A JSON value on one line, for a table cell."""
    return json.dumps(value, separators=(", ", ": "), default=str, ensure_ascii=False)
