"""Describing a module's public surface as plain data, so two SDKs can be compared.

``scripts/temporalio_signatures.py`` runs this over temporalio to write the pinned table;
``tests/sdk/test_temporalio_signatures.py`` runs it over Legato and compares. Both sides
go through the same functions, so a difference in the table is a difference in the API,
not in how it was read.

An entry is keyed ``module:Name`` or ``module:Class.member`` (the module without its
top-level package) and says what the name is (``kind``) and, for what can be called, its
parameters as ``[name, kind, default]`` with the default as a normalised ``repr`` (None
when there is none).
"""

from __future__ import annotations

import dataclasses
import enum
import importlib
import inspect
import re
import types
from collections.abc import Callable, Iterator
from typing import Any

Entry = dict[str, Any]

# Modules of temporalio that Legato mirrors, in the order the table lists them.
MODULES = (
    "client",
    "worker",
    "workflow",
    "activity",
    "common",
    "exceptions",
    "converter",
    "testing",
    "service",
    "runtime",
    "envconfig",
    "contrib.pydantic",
)

_KINDS = {
    inspect.Parameter.POSITIONAL_ONLY: "positional_only",
    inspect.Parameter.POSITIONAL_OR_KEYWORD: "positional_or_keyword",
    inspect.Parameter.VAR_POSITIONAL: "var_positional",
    inspect.Parameter.KEYWORD_ONLY: "keyword_only",
    inspect.Parameter.VAR_KEYWORD: "var_keyword",
}
_ADDRESS = re.compile(r" at 0x[0-9a-f]+")
# A constructed object (``DataConverter(...)``, ``Priority(...)``): only its type is compared,
# since its fields are the object's own business and are compared where it is defined.
_CONSTRUCTED = re.compile(r"^([A-Z_][A-Za-z0-9_]*)\(.*\)$", re.DOTALL)
# Names every class has from ``object``, ``Enum``, ``Generic`` or ``Exception``: not API.
_INHERITED_NOISE = frozenset({"args", "with_traceback", "add_note", "name", "value"})


def normalise_default(value: Any, package: str) -> str:
    """The repr of a default, comparable across the two SDKs."""
    text = _ADDRESS.sub("", repr(value)).replace(package, "<sdk>")
    # Empty sequences and mappings are the same default whichever literal spells them.
    if text == "()":
        return "[]"
    if text in ("mappingproxy({})", "frozenset()"):
        return "{}"
    match = _CONSTRUCTED.match(text)
    return f"{match.group(1)}(...)" if match else text


def parameters(fn: Callable[..., Any], package: str, *, drop_first: bool) -> list[list[Any]] | None:
    """``[name, kind, default]`` for each parameter of ``fn``; None when it has no signature."""
    try:
        signature = inspect.signature(fn)
    except (TypeError, ValueError):
        return None
    params = list(signature.parameters.values())[1 if drop_first else 0 :]
    return [
        [
            p.name,
            _KINDS[p.kind],
            None if p.default is inspect.Parameter.empty else normalise_default(p.default, package),
        ]
        for p in params
    ]


def public_names(module: types.ModuleType, package: str) -> list[str]:
    """A module's public names: its ``__all__``, else what it defines (not what it imports)."""
    declared = getattr(module, "__all__", None)
    if declared is not None:
        # Some of temporalio's __all__ lists hold private helpers; they are not API.
        return sorted(n for n in declared if not n.startswith("_"))
    return sorted(n for n in dir(module) if not n.startswith("_") and _defined_in(getattr(module, n), package))


def _defined_in(obj: Any, package: str) -> bool:
    if isinstance(obj, types.ModuleType):
        return False
    origin = getattr(obj, "__module__", None) if isinstance(obj, type | types.FunctionType) else type(obj).__module__
    return isinstance(origin, str) and origin.split(".")[0] == package


def describe_module(package: str, name: str) -> dict[str, Entry]:
    """Every entry of ``package.name``; empty when the module does not exist."""
    try:
        module = importlib.import_module(f"{package}.{name}")
    except ImportError:
        return {}
    entries: dict[str, Entry] = {}
    for attr in public_names(module, package):
        if hasattr(module, attr):
            entries.update(describe(f"{name}:{attr}", getattr(module, attr), package))
    return entries


def describe(key: str, obj: Any, package: str) -> Iterator[tuple[str, Entry]]:
    """The entry of one module-level object, and those of its members if it is a class."""
    if isinstance(obj, type):
        yield key, _class_entry(obj, package)
        yield from _members(key, obj, package)
    elif callable(obj) and not isinstance(obj, type):
        yield key, _function_entry(obj, package, drop_first=False)
    else:
        yield key, {"kind": "attribute"}


def _class_entry(cls: type, package: str) -> Entry:
    if issubclass(cls, enum.Enum):
        return {"kind": "enum"}
    entry: Entry = {"kind": "class", "params": parameters(cls, package, drop_first=False)}
    if dataclasses.is_dataclass(cls):
        entry["kind"] = "dataclass"
    return entry


def _function_entry(fn: Any, package: str, *, drop_first: bool) -> Entry:
    return {
        "kind": "function",
        "async": inspect.iscoroutinefunction(fn),
        "params": parameters(fn, package, drop_first=drop_first),
    }


def _members(key: str, cls: type, package: str) -> Iterator[tuple[str, Entry]]:
    if issubclass(cls, enum.Enum):
        for member in cls:
            yield f"{key}.{member.name}", {"kind": "enum_member", "value": repr(member.value)}
        return
    fields = {f.name: f for f in dataclasses.fields(cls)} if dataclasses.is_dataclass(cls) else {}
    for name, f in fields.items():
        if not name.startswith("_"):
            yield f"{key}.{name}", {"kind": "field", "default": _field_default(f, package)}
    for name in sorted(dir(cls)):
        if name.startswith("_") or name in fields or name in _INHERITED_NOISE:
            continue
        entry = _member_entry(cls, name, package)
        if entry is not None:
            yield f"{key}.{name}", entry


def _field_default(f: dataclasses.Field[Any], package: str) -> str | None:
    if f.default is not dataclasses.MISSING:
        return normalise_default(f.default, package)
    if f.default_factory is not dataclasses.MISSING:
        return "<factory>"
    return None


def _member_entry(cls: type, name: str, package: str) -> Entry | None:
    owner = next((c for c in cls.__mro__ if name in c.__dict__), None)
    # Inherited from object, Exception, Generic, ...: not part of either SDK's API.
    if owner is None or owner.__module__.split(".")[0] != package:
        return None
    raw = owner.__dict__[name]
    if isinstance(raw, property):
        return {"kind": "property"}
    if isinstance(raw, staticmethod):
        return {**_function_entry(raw.__func__, package, drop_first=False), "kind": "staticmethod"}
    if isinstance(raw, classmethod):
        return {**_function_entry(raw.__func__, package, drop_first=True), "kind": "classmethod"}
    if isinstance(raw, types.FunctionType):
        return {**_function_entry(raw, package, drop_first=True), "kind": "method"}
    if isinstance(raw, type):
        return {"kind": "nested_class"}
    return {"kind": "attribute"}


def describe_sdk(package: str) -> dict[str, Entry]:
    """Every entry of every mirrored module of ``package``."""
    entries: dict[str, Entry] = {}
    for module in MODULES:
        entries.update(describe_module(package, module))
    return entries


def resolve(package: str, key: str) -> Entry | None:
    """The entry of ``package`` at ``key`` (found by attribute, not by ``__all__``); None if absent."""
    module_name, _, path = key.partition(":")
    try:
        obj: Any = importlib.import_module(f"{package}.{module_name}")
    except ImportError:
        return None
    *parents, last = path.split(".")
    for part in parents:
        obj = getattr(obj, part, None)
        if obj is None:
            return None
    if not parents:
        return next(iter(dict(describe(key, getattr(obj, last), package)).values())) if hasattr(obj, last) else None
    return _resolve_member(obj, last, package)


def _resolve_member(cls: Any, name: str, package: str) -> Entry | None:
    if not isinstance(cls, type):
        return None
    if issubclass(cls, enum.Enum):
        member = cls.__members__.get(name)
        return None if member is None else {"kind": "enum_member", "value": repr(member.value)}
    if dataclasses.is_dataclass(cls):
        fields = {f.name: f for f in dataclasses.fields(cls)}
        if name in fields:
            return {"kind": "field", "default": _field_default(fields[name], package)}
    return _member_entry(cls, name, package)


def mismatch(expected: Entry, actual: Entry) -> str | None:
    """How ``actual`` differs from ``expected``; None when they agree."""
    kinds = {expected["kind"], actual["kind"]}
    # A property and a dataclass field read the same; a class and a dataclass construct the same.
    if len(kinds) > 1 and not (kinds <= {"property", "field", "attribute"} or kinds <= {"class", "dataclass"}):
        return f"is a {actual['kind']}, temporalio's is a {expected['kind']}"
    for attr in ("value", "async"):
        if attr in expected and attr in actual and expected[attr] != actual[attr]:
            return f"{attr}: {actual[attr]!r} != temporalio's {expected[attr]!r}"
    if expected.get("params") is not None and actual.get("params") != expected["params"]:
        return _params_mismatch(expected["params"], actual.get("params") or [])
    if expected["kind"] == "field" == actual["kind"] and expected["default"] != actual["default"]:
        return f"default: {_default(actual['default'])} != temporalio's {_default(expected['default'])}"
    return None


def _params_mismatch(expected: list[list[Any]], actual: list[list[Any]]) -> str:
    """The first parameter that differs, and the parameters missing or extra."""
    names = [p[0] for p in expected]
    have = [p[0] for p in actual]
    missing = [n for n in names if n not in have]
    extra = [n for n in have if n not in names]
    if missing or extra:
        return f"params: missing {missing}, extra {extra}"
    for want, got in zip(expected, actual, strict=True):
        if want != got:
            return f"param {_param(got)} != temporalio's {_param(want)} (at {names.index(want[0])})"
    return "params: order differs"


def _param(p: list[Any]) -> str:
    name, kind, default = p
    prefix = {"var_positional": "*", "var_keyword": "**", "keyword_only": "kw:"}.get(kind, "")
    return f"{prefix}{name}" + ("" if default is None else f"={default}")


def _default(value: str | None) -> str:
    return "(none)" if value is None else value
