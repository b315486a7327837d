"""jsonb in and out as Python values, with strings that Postgres cannot store made storable.

Postgres refuses the character U+0000 anywhere in jsonb, yet payloads, failure messages
and heartbeat details are user data that must round-trip unchanged. So every string (and
object key) is escaped on the way in — U+0000 becomes ESC ``0`` and ESC itself becomes
ESC ESC, with ESC = U+001B — and unescaped on the way out. Both directions first look at
the JSON text: only a value that holds one of the two characters pays for the walk.
"""

from __future__ import annotations

import json
import re
from typing import Any

_NUL, _ESC = "\x00", "\x1b"
# How json.dumps and Postgres's jsonb output write the two characters in JSON text.
_ESCAPED_NUL, _ESCAPED_ESC = "\\u0000", "\\u001b"
_UNESCAPE = re.compile(_ESC + "(.)", re.DOTALL)


def dumps(value: Any) -> str:
    """JSON text of ``value`` that Postgres accepts as jsonb."""
    text = json.dumps(value)
    if _ESCAPED_NUL in text or _ESCAPED_ESC in text:
        text = json.dumps(_walk(value, _escape))
    return text


def loads(text: str) -> Any:
    """The value ``dumps`` stored."""
    value = json.loads(text)
    if _ESCAPED_ESC in text or _ESC in text:
        value = _walk(value, _unescape)
    return value


def _escape(s: str) -> str:
    return s.replace(_ESC, _ESC + _ESC).replace(_NUL, _ESC + "0")


def _unescape(s: str) -> str:
    return _UNESCAPE.sub(lambda m: _ESC if m.group(1) == _ESC else _NUL, s) if _ESC in s else s


def _walk(value: Any, change: Any) -> Any:
    if isinstance(value, str):
        return change(value)
    if isinstance(value, list):
        return [_walk(v, change) for v in value]
    if isinstance(value, dict):
        return {change(k): _walk(v, change) for k, v in value.items()}
    return value
