"""The determinism guard: workflow code that reads the clock, draws random numbers, starts
threads or does I/O during an activation fails its workflow task.

Temporal's Python SDK runs workflow code in a sandbox that re-imports it behind proxies;
Legato watches the calls instead, only while an activation runs on the thread:

* ``sys.setprofile`` reports each call to a C function (``time.time``, ``datetime.now``,
  ``random.random``, ``os.urandom``) and each Python call (``uuid.uuid4``,
  ``random.randint``, ``threading.Thread.start``) by the object called, so a guarded call
  is seen however it was imported (``from datetime import datetime`` at the top of a
  module imported long before the worker was made).
* An audit hook (``sys.addaudithook``, installed once and idle outside activations) sees
  file, socket and subprocess operations wherever they start.

A guarded call is refused when the code that made it is workflow code. The stack is read
from the call outwards: a frame of Legato, of a passed-through module or of a few
standard modules that work for Legato itself (logging, linecache, traceback, importlib,
warnings) allows it; a frame of any other standard module passes the question to its
caller (``pathlib.Path.read_text`` is the caller's I/O); a frame of any other module
refuses it. The refusal raises ``RestrictedWorkflowAccessError`` at the call and is also
kept, so the activation fails even if the code catches it: the worker fails the workflow
task and the server retries it, as for a nondeterminism.
"""

from __future__ import annotations

import gc
import importlib
import sys
import threading
import weakref
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import CodeType, FrameType
from typing import Any

from legato.exceptions import NondeterminismError

# Standard modules whose own calls are Legato's business, not the workflow's.
ALLOWED_STANDARD_MODULES = frozenset(
    {"logging", "linecache", "traceback", "importlib", "zipimport", "warnings", "tokenize"}
)
# Modules trusted as temporalio passes them through by default (besides the standard library).
DEFAULT_PASSTHROUGH = frozenset({"legato", "pydantic", "pydantic_core", "annotated_types", "typing_extensions"})

_ALLOW, _REFUSE, _ASK_CALLER = 0, 1, 2


class RestrictedWorkflowAccessError(NondeterminismError):
    """Workflow code called something nondeterministic, as temporalio's error of this name.

    Attributes:
        qualified_name: What was called, e.g. ``datetime.datetime.now``.
    """

    def __init__(self, qualified_name: str, *, override_message: str | None = None) -> None:
        super().__init__(override_message or RestrictedWorkflowAccessError.default_message(qualified_name))
        self.qualified_name = qualified_name

    @staticmethod
    def default_message(qualified_name: str) -> str:
        """The message for a restricted call with no more specific advice."""
        return (
            f"Cannot access {qualified_name} from inside a workflow. If this is code from a module not used "
            "in a workflow or known to only be used deterministically from a workflow, mark the import as "
            "pass through."
        )


@dataclass(frozen=True)
class Restriction:
    """One guarded call and what to use instead."""

    name: str
    advice: str

    def error(self) -> RestrictedWorkflowAccessError:
        message = f"Cannot access {self.name} from inside a workflow: {self.advice}"
        return RestrictedWorkflowAccessError(self.name, override_message=message)


# Audit events (https://docs.python.org/3/library/audit_events.html) refused in workflow code.
_IO = "workflow code must not do I/O; do it in an activity"
AUDIT_EVENTS: Mapping[str, Restriction] = {
    event: Restriction(name, advice)
    for event, name, advice in [
        ("open", "open", f"{_IO} (files)"),
        ("os.listdir", "os.listdir", f"{_IO} (files)"),
        ("os.scandir", "os.scandir", f"{_IO} (files)"),
        ("os.remove", "os.remove", f"{_IO} (files)"),
        ("os.rename", "os.rename", f"{_IO} (files)"),
        ("os.mkdir", "os.mkdir", f"{_IO} (files)"),
        ("os.rmdir", "os.rmdir", f"{_IO} (files)"),
        ("socket.__new__", "socket.socket", f"{_IO} (network)"),
        ("socket.connect", "socket.socket.connect", f"{_IO} (network)"),
        ("socket.getaddrinfo", "socket.getaddrinfo", f"{_IO} (network)"),
        ("socket.gethostbyname", "socket.gethostbyname", f"{_IO} (network)"),
        ("subprocess.Popen", "subprocess.Popen", f"{_IO} (subprocesses)"),
        ("os.system", "os.system", f"{_IO} (subprocesses)"),
        ("os.exec", "os.exec*", f"{_IO} (subprocesses)"),
        ("os.posix_spawn", "os.posix_spawn", f"{_IO} (subprocesses)"),
        ("os.spawn", "os.spawn*", f"{_IO} (subprocesses)"),
        ("os.fork", "os.fork", f"{_IO} (subprocesses)"),
    ]
}


_NOW = "the wall clock differs on replay; use workflow.now() (or workflow.time())"
_SLEEP = "it blocks the worker; use workflow.sleep() or asyncio.sleep(), which are durable timers"
_RANDOM = "the module's generator is not seeded per run; use workflow.random()"
_UUID = "it is random on every replay; use workflow.uuid4()"
_THREAD = "workflow code runs on one deterministic event loop; start an activity instead"

# What the guard refuses by default, by dotted path, with what to use instead.
DEFAULT_MEMBERS: Mapping[str, str] = {
    "datetime.datetime.now": _NOW,
    "datetime.datetime.utcnow": _NOW,
    "datetime.datetime.today": _NOW,
    "datetime.date.today": _NOW,
    **{f"time.{name}": _NOW for name in ("time", "time_ns", "monotonic", "monotonic_ns", "perf_counter")},
    **{f"time.{name}": _NOW for name in ("perf_counter_ns", "process_time", "process_time_ns")},
    "time.sleep": _SLEEP,
    **{
        f"random.{name}": _RANDOM
        for name in (
            "random",
            "getrandbits",
            "randint",
            "randrange",
            "choice",
            "choices",
            "shuffle",
            "sample",
            "uniform",
            "triangular",
            "gauss",
            "normalvariate",
            "lognormvariate",
            "expovariate",
            "vonmisesvariate",
            "gammavariate",
            "betavariate",
            "paretovariate",
            "weibullvariate",
            "randbytes",
            "seed",
            "binomialvariate",
        )
    },
    "os.urandom": "it is random on every replay; use workflow.random()",
    "uuid.uuid1": _UUID,
    "uuid.uuid4": _UUID,
    "threading.Thread.start": _THREAD,
    "_thread.start_new_thread": _THREAD,
}


@dataclass(eq=False)
class Policy:
    """What a guarded activation refuses and whom it trusts; built once per worker."""

    # C functions and bound C methods, by the object called.
    c_calls: dict[object, Restriction] = field(default_factory=dict)
    # Python functions by code object, with the instance they must be bound to (the random module's).
    py_calls: dict[CodeType, tuple[Restriction, object | None]] = field(default_factory=dict)
    passthrough: frozenset[str] = DEFAULT_PASSTHROUGH
    _verdicts: dict[str, int] = field(default_factory=dict)

    def add(self, target: object, restriction: Restriction) -> None:
        """Guard ``target`` (a function, a bound method or a classmethod)."""
        function = getattr(target, "__func__", target)
        code = getattr(function, "__code__", None)
        if isinstance(code, CodeType):
            self.py_calls[code] = (restriction, getattr(target, "__self__", None))
        else:
            self.c_calls[target] = restriction

    def verdict(self, module: str) -> int:
        """Whether a frame of ``module`` allows, refuses or asks its caller (cached)."""
        found = self._verdicts.get(module)
        if found is None:
            found = self._verdicts[module] = self._decide(module)
        return found

    def _decide(self, module: str) -> int:
        if _matches(module, self.passthrough | _passed_through) or _matches(module, ALLOWED_STANDARD_MODULES):
            return _ALLOW
        if module.partition(".")[0] in sys.stdlib_module_names:
            return _ASK_CALLER
        return _REFUSE

    def forget_verdicts(self) -> None:
        """Drop cached verdicts (after more modules were passed through)."""
        self._verdicts.clear()


def _matches(module: str, prefixes: Iterable[str]) -> bool:
    return any(module == p or module.startswith(p + ".") for p in prefixes)


# Modules imported inside workflow.unsafe.imports_passed_through(), process-wide as temporalio's.
_passed_through: set[str] = set()
_policies: weakref.WeakSet[Policy] = weakref.WeakSet()


class _ThreadState(threading.local):
    activation: Activation | None = None
    unrestricted: int = 0
    importing: list[str] | None = None


_state = _ThreadState()


class Activation:
    """The guard while one activation runs on this thread."""

    def __init__(self, policy: Policy) -> None:
        self.policy = policy
        self.violation: RestrictedWorkflowAccessError | None = None

    def profiler(self) -> Callable[[FrameType, str, Any], None]:
        """The ``sys.setprofile`` function: checks C calls and Python calls.

        It runs for every call and return of the activation, so it keeps its lookups in
        locals: it is most of what the guard costs.
        """
        c_call, py_call, check = self.policy.c_calls.get, self.policy.py_calls.get, self.check

        def profile(frame: FrameType, event: str, arg: Any) -> None:
            if event == "c_call":
                restriction = c_call(arg)
                if restriction is not None:
                    check(restriction, frame)
            elif event == "call":
                hit = py_call(frame.f_code)
                if hit is not None and (hit[1] is None or frame.f_locals.get("self") is hit[1]):
                    check(hit[0], frame.f_back)

        return profile

    def check(self, restriction: Restriction, frame: FrameType | None) -> None:
        """Raise (and keep) the restriction's error if workflow code made the call."""
        if _state.unrestricted:
            return
        start = frame
        while frame is not None:
            verdict = self.policy.verdict(frame.f_globals.get("__name__", ""))
            if verdict == _ALLOW:
                return
            if verdict == _REFUSE:
                if _interrupts_the_workflow(start):
                    return
                error = restriction.error()
                self.violation = self.violation or error
                raise error
            frame = frame.f_back


def _interrupts_the_workflow(frame: FrameType | None) -> bool:
    """Whether the call comes from code that runs between the workflow's steps, not from them.

    A garbage collector callback or a finalizer runs wherever collection happens to
    start; what it does is not the workflow's decision, so it is not refused.
    """
    callbacks = {getattr(callback, "__code__", None) for callback in gc.callbacks}
    while frame is not None:
        if frame.f_code in callbacks or frame.f_code.co_name == "__del__":
            return True
        frame = frame.f_back
    return False


@contextmanager
def activation(policy: Policy | None) -> Iterator[Activation | None]:
    """Guard this thread's file, socket and subprocess operations for the duration.

    Calls are watched only inside ``watching()``: around the workflow's own code, not
    Legato's matching and payload decoding, which would pay for the profiler for nothing.
    """
    if policy is None:
        yield None
        return
    _install_audit_hook()
    guard, previous = Activation(policy), _state.activation
    _state.activation = guard
    try:
        yield guard
    finally:
        _state.activation = previous


@contextmanager
def watching(guard: Activation | None) -> Iterator[None]:
    """Watch every call made on this thread for the duration (nothing for None)."""
    if guard is None:
        yield
        return
    previous = sys.getprofile()
    sys.setprofile(guard.profiler())
    try:
        yield
    finally:
        sys.setprofile(previous)


def _audit(event: str, args: tuple[Any, ...]) -> None:
    if _state.importing is not None and event == "import":
        _state.importing.append(str(args[0]))
    guard = _state.activation
    if guard is None:
        return
    restriction = AUDIT_EVENTS.get(event)
    if restriction is not None:
        guard.check(restriction, sys._getframe(1))


_hook_lock = threading.Lock()
_hook_installed = False


def _install_audit_hook() -> None:
    # Audit hooks cannot be removed: one for the process, idle when no activation runs.
    global _hook_installed
    with _hook_lock:
        if not _hook_installed:
            sys.addaudithook(_audit)
            _hook_installed = True


_unsandboxed: weakref.WeakSet[type] = weakref.WeakSet()


def mark_unsandboxed(cls: type) -> None:
    """``@workflow.defn(sandboxed=False)``: never guard this workflow class."""
    _unsandboxed.add(cls)


def policy_for(cls: type, policy: Policy | None) -> Policy | None:
    """The policy for a workflow class's runs: none for an unsandboxed class."""
    return None if cls in _unsandboxed else policy


def is_active() -> bool:
    """Whether an activation of a guarded runner runs on this thread."""
    return _state.activation is not None


def is_unrestricted() -> bool:
    """Whether this thread is inside ``unrestricted()``."""
    return _state.unrestricted > 0


def is_importing() -> bool:
    """Whether this thread is inside ``imports_passed_through()``."""
    return _state.importing is not None


@contextmanager
def unrestricted() -> Iterator[None]:
    """Let the calls of the block through (``workflow.unsafe.sandbox_unrestricted()``)."""
    _state.unrestricted += 1
    try:
        yield
    finally:
        _state.unrestricted -= 1


@contextmanager
def imports_passed_through(caller_globals: dict[str, Any]) -> Iterator[None]:
    """Trust the modules imported in the block (``workflow.unsafe.imports_passed_through()``).

    The modules seen are those the block imports for the first time and those of the
    names it binds in the caller's module (``from activities import charge`` when
    ``activities`` was imported before).
    """
    before = dict(caller_globals)
    outer, _state.importing = _state.importing, []
    try:
        with unrestricted():
            yield
    finally:
        imported, _state.importing = _state.importing, outer
        bound = [_module_of(v) for k, v in caller_globals.items() if before.get(k) is not v]
        # Never the workflow's own module (a class defined in the block), never the standard library.
        own = caller_globals.get("__name__")
        pass_through(m for m in imported + bound if m != own and m.partition(".")[0] not in sys.stdlib_module_names)


def _module_of(value: object) -> str:
    name = getattr(value, "__name__", "") if isinstance(value, type(sys)) else getattr(value, "__module__", "")
    return name if isinstance(name, str) else ""


def pass_through(modules: Iterable[str]) -> None:
    """Trust these modules from now on, in every guarded worker of the process."""
    new = {m for m in modules if m} - _passed_through
    if new:
        _passed_through.update(new)
        for policy in _policies:
            policy.forget_verdicts()


def build_policy(members: Mapping[str, str], passthrough: Iterable[str] = ()) -> Policy:
    """A policy refusing ``members`` (dotted path → what to use instead) from workflow code."""
    policy = Policy(passthrough=DEFAULT_PASSTHROUGH | frozenset(passthrough))
    for path, advice in members.items():
        target = resolve(path)
        if target is not None:
            policy.add(target, Restriction(path, advice))
    _policies.add(policy)
    return policy


def resolve(path: str) -> object | None:
    """The object a dotted path names, importing its module; None when it does not exist."""
    parts = path.split(".")
    for i in range(len(parts) - 1, 0, -1):
        try:
            target: object = importlib.import_module(".".join(parts[:i]))
        except ImportError:
            continue
        try:
            for attribute in parts[i:]:
                target = getattr(target, attribute)
        except AttributeError:
            return None
        return target
    return None
