"""Workflow and activity definitions, read from what the decorators attach.

``@workflow.defn`` and ``@activity.defn`` store a definition on the class or function; the
worker registers them, the client reads a workflow's name and result type from its run
method, and the runtime decodes arguments by the parameter annotations recorded here.
"""

from __future__ import annotations

import dataclasses
import inspect
import typing
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from .updates import UPDATE_ATTR, HandlerUnfinishedPolicy, UpdateDefinition

# Attribute names the decorators set; the same names mark run, signal and query methods.
_WORKFLOW_ATTR = "__legato_workflow_definition"
_RUN_ATTR = "__legato_workflow_run"
_SIGNAL_ATTR = "__legato_signal_definition"
_QUERY_ATTR = "__legato_query_definition"
_INIT_ATTR = "__legato_workflow_init"
_ACTIVITY_ATTR = "__legato_activity_definition"
_DYNAMIC_CONFIG_ATTR = "__legato_workflow_dynamic_config"


def param_types(fn: Callable[..., Any], *, skip_self: bool) -> list[Any]:
    """The annotations of ``fn``'s positional parameters, ``Any`` where there is none."""
    try:
        hints = typing.get_type_hints(fn)
    # A forward reference that does not resolve leaves values undecoded rather than failing.
    except Exception:
        hints = {}
    params = list(inspect.signature(fn).parameters.values())
    if skip_self and params:
        params = params[1:]
    positional = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    return [hints.get(p.name, Any) for p in params if p.kind in positional]


def return_type(fn: Callable[..., Any]) -> Any:
    """The return annotation of ``fn``, ``Any`` when there is none."""
    try:
        return typing.get_type_hints(fn).get("return", Any)
    except Exception:
        return Any


@dataclass(frozen=True)
class ActivityDefinition:
    """An activity as the worker runs it."""

    name: str
    fn: Callable[..., Any]
    is_async: bool
    arg_types: list[Any]
    result_type: Any
    # A sync activity that polls is_cancelled() instead of getting CancelledError raised.
    no_thread_cancel_exception: bool = False
    # The dynamic activity (name ""): run for every type no other definition has, with
    # the raw arguments as one ``Sequence[RawValue]``.
    dynamic: bool = False

    @staticmethod
    def from_callable(fn: Callable[..., Any]) -> ActivityDefinition | None:
        """The definition ``@activity.defn`` attached, if any, calling ``fn`` itself: a
        method bound to its instance, or an instance of a callable class."""
        defn = getattr(fn, _ACTIVITY_ATTR, None)
        if not isinstance(defn, ActivityDefinition):
            return None
        return defn if defn.fn is fn else replace(defn, fn=fn)

    @staticmethod
    def must_from_callable(fn: Callable[..., Any]) -> ActivityDefinition:
        """The definition ``@activity.defn`` attached.

        Raises:
            TypeError: ``fn`` is not decorated with ``@activity.defn``.
        """
        defn = ActivityDefinition.from_callable(fn)
        if defn is None:
            name = getattr(fn, "__qualname__", repr(fn))
            raise TypeError(f"Activity {name} is missing @activity.defn")
        return defn


def _called(fn: Callable[..., Any]) -> Callable[..., Any]:
    """What calling ``fn`` runs: a class's (or a callable instance's) ``__call__``."""
    if inspect.isfunction(fn) or inspect.ismethod(fn):
        return fn
    cls = fn if isinstance(fn, type) else type(fn)
    call = cls.__call__
    return call if inspect.isfunction(call) else fn


def _takes_self(fn: Callable[..., Any]) -> bool:
    """Whether ``fn`` is a function whose first parameter is an unannotated ``self``, as
    temporalio skips it: a method decorated in its class, called bound."""
    if not inspect.isfunction(fn):
        return False
    params = list(inspect.signature(fn).parameters.values())
    return bool(params) and params[0].name == "self" and params[0].annotation is inspect.Parameter.empty


def define_activity(
    fn: Callable[..., Any], name: str | None, *, no_thread_cancel_exception: bool = False, dynamic: bool = False
) -> None:
    """Attach an activity definition to ``fn`` (what ``@activity.defn`` does).

    Raises:
        TypeError: ``fn`` is not callable.
        RuntimeError: ``dynamic`` with a ``name`` (temporalio's message).
    """
    if not callable(fn):
        raise TypeError("@activity.defn must decorate a function")
    if dynamic and name:
        raise RuntimeError("Cannot provide name and dynamic boolean")
    target = _called(fn)
    defn = ActivityDefinition(
        name="" if dynamic else name or str(getattr(fn, "__name__", "")),
        fn=fn,
        is_async=inspect.iscoroutinefunction(target),
        arg_types=param_types(target, skip_self=_takes_self(target)),
        result_type=return_type(target),
        no_thread_cancel_exception=no_thread_cancel_exception,
        dynamic=dynamic,
    )
    setattr(fn, _ACTIVITY_ATTR, defn)


@dataclass(frozen=True)
class SignalDefinition:
    """A signal handler: a method of the class, or a function set with ``set_signal_handler``.

    ``name`` None is the dynamic handler: it takes ``(name, args: Sequence[RawValue])``.
    """

    name: str | None
    fn: Callable[..., Any]
    arg_types: list[Any]
    is_method: bool = True
    unfinished_policy: HandlerUnfinishedPolicy = HandlerUnfinishedPolicy.WARN_AND_ABANDON


@dataclass(frozen=True)
class QueryDefinition:
    """A query handler method; ``name`` None for the dynamic one, which gets
    ``(name, args: Sequence[RawValue])``."""

    name: str | None
    fn: Callable[..., Any]
    arg_types: list[Any] = field(default_factory=list)
    result_type: Any = Any
    description: str | None = None


def mark_run(fn: Callable[..., Any]) -> None:
    """Mark ``fn`` as a workflow's run method."""
    if not inspect.iscoroutinefunction(fn):
        raise TypeError(f"@workflow.run method {fn.__qualname__} must be an async def")
    setattr(fn, _RUN_ATTR, True)


def mark_init(fn: Callable[..., Any]) -> None:
    """Mark ``fn`` (an ``__init__``) as taking the workflow's arguments."""
    setattr(fn, _INIT_ATTR, True)


def mark_signal(
    fn: Callable[..., Any],
    name: str | None,
    *,
    dynamic: bool = False,
    unfinished_policy: HandlerUnfinishedPolicy = HandlerUnfinishedPolicy.WARN_AND_ABANDON,
) -> None:
    """Attach a signal definition to a method (``dynamic``: the handler of every other name)."""
    if dynamic and name is not None:
        raise TypeError("A dynamic @workflow.signal takes no name")
    defn = SignalDefinition(None if dynamic else name or fn.__name__, fn, [], unfinished_policy=unfinished_policy)
    setattr(fn, _SIGNAL_ATTR, defn)


def mark_query(
    fn: Callable[..., Any], name: str | None, *, dynamic: bool = False, description: str | None = None
) -> None:
    """Attach a query definition to a method (``dynamic``: the handler of every other name).

    Raises:
        RuntimeError: Both ``name`` and ``dynamic`` given, as temporalio refuses them.
    """
    if name is not None and dynamic:
        raise RuntimeError("Cannot provide name and dynamic boolean")
    query_name = None if dynamic else (name or fn.__name__)
    defn = QueryDefinition(query_name, fn, param_types(fn, skip_self=True), return_type(fn), description)
    setattr(fn, _QUERY_ATTR, defn)


def query_definition(query: str | Callable[..., Any]) -> tuple[str, Any]:
    """The name and result type of a query given as a string or a ``@workflow.query`` method.

    Raises:
        TypeError: A method without ``@workflow.query``, or the dynamic one (it has no name).
    """
    if isinstance(query, str):
        return query, None
    defn = getattr(query, _QUERY_ATTR, None)
    if not isinstance(defn, QueryDefinition) or defn.name is None:
        raise TypeError(f"{getattr(query, '__qualname__', query)!r} is not a named @workflow.query method")
    return defn.name, None if defn.result_type is Any else defn.result_type


@dataclass(frozen=True)
class WorkflowDefinition:
    """A workflow class as the worker runs it."""

    name: str
    cls: type
    run_fn: Callable[..., Any]
    arg_types: list[Any]
    result_type: Any
    init_takes_args: bool
    # Keyed by name; None is the dynamic handler's key.
    signals: dict[str | None, SignalDefinition] = field(default_factory=dict)
    queries: dict[str | None, QueryDefinition] = field(default_factory=dict)
    updates: dict[str | None, UpdateDefinition] = field(default_factory=dict)
    failure_exception_types: tuple[type[BaseException], ...] = ()
    # A dynamic workflow runs every type no other registered workflow has; its name is "".
    dynamic: bool = False
    # A dynamic workflow's ``@workflow.dynamic_config`` method, called after ``__init__``.
    dynamic_config_fn: Callable[..., Any] | None = None

    @staticmethod
    def from_class(cls: type) -> WorkflowDefinition | None:
        """The definition ``@workflow.defn`` attached to ``cls``, if any."""
        defn = cls.__dict__.get(_WORKFLOW_ATTR)
        return defn if isinstance(defn, WorkflowDefinition) else None

    @staticmethod
    def must_from_class(cls: type) -> WorkflowDefinition:
        """The definition of a ``@workflow.defn`` class.

        Raises:
            TypeError: ``cls`` is not decorated with ``@workflow.defn``.
        """
        defn = WorkflowDefinition.from_class(cls)
        if defn is None:
            raise TypeError(f"Workflow class {cls.__qualname__} is missing @workflow.defn")
        return defn

    @staticmethod
    def must_from_run_fn(fn: Callable[..., Any]) -> WorkflowDefinition:
        """The definition of the class whose run method ``fn`` is.

        Raises:
            TypeError: ``fn`` is not the run method of a ``@workflow.defn`` class.
        """
        defn = getattr(fn, _WORKFLOW_ATTR, None)
        if not isinstance(defn, WorkflowDefinition):
            name = getattr(fn, "__qualname__", repr(fn))
            raise TypeError(f"{name} is not the @workflow.run method of a @workflow.defn class")
        return defn


DYNAMIC_WORKFLOW = ""
"""The registry key of the dynamic workflow: no workflow type is empty."""


def define_workflow(
    cls: type,
    name: str | None,
    failure_exception_types: Sequence[type[BaseException]],
    *,
    dynamic: bool = False,
) -> WorkflowDefinition:
    """Build and attach the definition of a workflow class (what ``@workflow.defn`` does).

    Raises:
        TypeError: The class has no ``@workflow.run`` method, or more than one; or a
            dynamic workflow has a name.
    """
    if dynamic and name is not None:
        raise TypeError(f"Dynamic workflow {cls.__qualname__} cannot have a name")
    run_fns, signals, queries = _scan_members(cls)
    updates = _scan_updates(cls)
    if len(run_fns) != 1:
        found = "none" if not run_fns else ", ".join(f.__name__ for f in run_fns)
        raise TypeError(f"Workflow {cls.__qualname__} must have exactly one @workflow.run method ({found})")
    run_fn = run_fns[0]
    # As temporalio: the run method of a dynamic workflow takes the raw arguments, one sequence.
    if dynamic and len(param_types(run_fn, skip_self=True)) != 1:
        raise TypeError(f"Dynamic workflow {cls.__qualname__} must accept a single Sequence[RawValue]")
    defn = WorkflowDefinition(
        name=DYNAMIC_WORKFLOW if dynamic else name or cls.__name__,
        cls=cls,
        run_fn=run_fn,
        arg_types=param_types(run_fn, skip_self=True),
        result_type=return_type(run_fn),
        init_takes_args=_init_takes_args(cls),
        signals=signals,
        queries=queries,
        updates=updates,
        failure_exception_types=tuple(failure_exception_types),
        dynamic=dynamic,
        dynamic_config_fn=_dynamic_config_fn(cls, name or cls.__name__, dynamic=dynamic),
    )
    setattr(cls, _WORKFLOW_ATTR, defn)
    setattr(run_fn, _WORKFLOW_ATTR, defn)
    return defn


def mark_dynamic_config(fn: Callable[..., Any]) -> None:
    """Mark a dynamic workflow's configuration method (what ``@workflow.dynamic_config`` does).

    Raises:
        ValueError: ``fn`` is async or takes more than ``self`` (temporalio's messages).
    """
    if inspect.iscoroutinefunction(fn):
        raise ValueError("Workflow dynamic_config method must be synchronous")
    if len(inspect.signature(fn).parameters) != 1:
        raise ValueError("Workflow dynamic_config method must only take self parameter")
    setattr(fn, _DYNAMIC_CONFIG_ATTR, True)


def _dynamic_config_fn(cls: type, name: str, *, dynamic: bool) -> Callable[..., Any] | None:
    found = [m for k in cls.__mro__ for m in vars(k).values() if getattr(m, _DYNAMIC_CONFIG_ATTR, False)]
    if found and not dynamic:
        raise TypeError(
            "@workflow.dynamic_config can only be used in dynamic workflows, but "
            f"workflow class {name} ({cls.__name__}) is not dynamic"
        )
    if len(found) > 1:
        raise TypeError("@workflow.dynamic_config can only be defined once per workflow")
    return found[0] if found else None


def _init_takes_args(cls: type) -> bool:
    init = next((vars(k)["__init__"] for k in cls.__mro__ if "__init__" in vars(k)), None)
    return bool(getattr(init, _INIT_ATTR, False))


def _scan_members(
    cls: type,
) -> tuple[list[Callable[..., Any]], dict[str | None, SignalDefinition], dict[str | None, QueryDefinition]]:
    run_fns: list[Callable[..., Any]] = []
    signals: dict[str | None, SignalDefinition] = {}
    queries: dict[str | None, QueryDefinition] = {}
    seen: set[str] = set()
    # Walk the MRO so handlers inherited from a base class count; the subclass's win.
    for klass in cls.__mro__:
        for attr, member in vars(klass).items():
            if attr in seen or not callable(member):
                continue
            seen.add(attr)
            if getattr(member, _RUN_ATTR, False):
                run_fns.append(member)
            if isinstance(sig := getattr(member, _SIGNAL_ATTR, None), SignalDefinition):
                types = param_types(member, skip_self=True)
                signals[sig.name] = dataclasses.replace(sig, fn=member, arg_types=types)
            if isinstance(query := getattr(member, _QUERY_ATTR, None), QueryDefinition):
                queries[query.name] = dataclasses.replace(query, fn=member)
    return run_fns, signals, queries


def _scan_updates(cls: type) -> dict[str | None, UpdateDefinition]:
    found: dict[str | None, UpdateDefinition] = {}
    seen: set[str] = set()
    # As the other handlers: inherited ones count, the subclass's win.
    for klass in cls.__mro__:
        for attr, member in vars(klass).items():
            if attr in seen or not callable(member):
                continue
            seen.add(attr)
            if isinstance(defn := getattr(member, UPDATE_ATTR, None), UpdateDefinition):
                types = [] if defn.name is None else param_types(member, skip_self=True)
                found[defn.name] = dataclasses.replace(defn, fn=member, arg_types=types)
    return found


def signal_name(signal: str | Callable[..., Any]) -> str:
    """The name of a signal given as a string or as a ``@workflow.signal`` method.

    Raises:
        TypeError: A method without ``@workflow.signal``.
    """
    if isinstance(signal, str):
        return signal
    defn = getattr(signal, _SIGNAL_ATTR, None)
    if not isinstance(defn, SignalDefinition) or defn.name is None:
        raise TypeError(f"{getattr(signal, '__qualname__', signal)!r} is not a named @workflow.signal method")
    return defn.name


def workflow_name_and_result_type(workflow: str | Callable[..., Any]) -> tuple[str, Any]:
    """A workflow's type name and the result type of its run method (None for a bare name)."""
    if isinstance(workflow, str):
        return workflow, None
    defn = WorkflowDefinition.must_from_run_fn(workflow)
    return defn.name, defn.result_type


def activity_name_and_result_type(activity: str | Callable[..., Any]) -> tuple[str, Any]:
    """An activity's type name and its function's return type (None for a bare name)."""
    if isinstance(activity, str):
        return activity, None
    defn = ActivityDefinition.must_from_callable(activity)
    return defn.name, defn.result_type
