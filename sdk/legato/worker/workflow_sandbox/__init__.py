"""Workflow runners and their restrictions, as ``temporalio.worker.workflow_sandbox``.

Temporal runs workflow code in a sandbox that re-imports it behind proxies; Legato runs it
as it is and guards the calls instead (``legato._runtime.guard``): during an activation,
a call to something nondeterministic from workflow code raises
``RestrictedWorkflowAccessError`` and fails the workflow task, never the run.

``SandboxedWorkflowRunner`` (the default) guards, ``UnsandboxedWorkflowRunner`` does not.
``SandboxRestrictions`` says what is guarded: ``invalid_module_members`` (a
``SandboxMatcher`` tree of module members whose *use* is refused) and
``passthrough_modules`` (modules whose own calls are trusted). File, socket and subprocess
operations are always guarded under the sandboxed runner; ``invalid_modules``,
``passthrough_all_modules``, ``disable_lazy_sys_module_passthrough`` and
``import_notification_policy`` are accepted and have no effect (there is no re-import).
"""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from legato._runtime import guard
from legato._runtime.guard import RestrictedWorkflowAccessError

__all__ = [
    "RestrictedWorkflowAccessError",
    "SandboxMatcher",
    "SandboxRestrictions",
    "SandboxedWorkflowRunner",
    "UnsandboxedWorkflowRunner",
    "WorkflowRunner",
]


@dataclass(frozen=True)
class SandboxMatcher:
    """A tree of module members: ``children`` by name, ``use``/``access`` the guarded leaves.

    Legato guards calls, so ``use`` and ``access`` mean the same: calling the member
    named fails the task. ``"*"`` and ``only_runtime`` have no effect.
    """

    access: frozenset[str] = frozenset()
    use: frozenset[str] = frozenset()
    children: Mapping[str, SandboxMatcher] = field(default_factory=dict)
    match_self: bool = False
    only_runtime: bool = False
    leaf_message: str | None = None
    leaf_warning: type[Warning] | None = None
    exclude: frozenset[str] = frozenset()

    all: ClassVar[SandboxMatcher]
    none: ClassVar[SandboxMatcher]
    all_uses: ClassVar[SandboxMatcher]
    all_runtime: ClassVar[SandboxMatcher]
    all_uses_runtime: ClassVar[SandboxMatcher]

    @classmethod
    def nested_child(cls, path: Sequence[str], child: SandboxMatcher) -> SandboxMatcher:
        """A matcher with ``child`` at ``path``."""
        for key in reversed(path):
            child = cls(children={key: child})
        return child

    def __or__(self, other: SandboxMatcher) -> SandboxMatcher:
        """Both matchers' members (children merged)."""
        children = dict(self.children)
        for key, child in other.children.items():
            children[key] = children[key] | child if key in children else child
        return dataclasses.replace(
            self,
            access=self.access | other.access,
            use=self.use | other.use,
            children=children,
            leaf_message=self.leaf_message or other.leaf_message,
        )

    def with_child_unrestricted(self, *child_path: str) -> SandboxMatcher:
        """A copy without the member or subtree at ``child_path``."""
        if not child_path:
            raise ValueError("with_child_unrestricted needs a path")
        head, rest = child_path[0], child_path[1:]
        if not rest:
            children = {k: v for k, v in self.children.items() if k != head}
            return dataclasses.replace(self, access=self.access - {head}, use=self.use - {head}, children=children)
        if head not in self.children:
            return self
        return dataclasses.replace(
            self, children={**self.children, head: self.children[head].with_child_unrestricted(*rest)}
        )

    def leaves(self, prefix: str = "") -> dict[str, str | None]:
        """Every guarded member's dotted path, with the message of its node."""
        found: dict[str, str | None] = {
            f"{prefix}{name}": self.leaf_message for name in (self.use | self.access) - self.exclude - {"*"}
        }
        for key, child in self.children.items():
            found.update(child.leaves(f"{prefix}{key}."))
        return found


SandboxMatcher.all = SandboxMatcher(match_self=True)
SandboxMatcher.none = SandboxMatcher()
SandboxMatcher.all_uses = SandboxMatcher(use=frozenset({"*"}))
SandboxMatcher.all_runtime = SandboxMatcher(match_self=True, only_runtime=True)
SandboxMatcher.all_uses_runtime = SandboxMatcher(use=frozenset({"*"}), only_runtime=True)


def _matcher_of(paths: Sequence[str]) -> SandboxMatcher:
    matcher = SandboxMatcher()
    for path in paths:
        *parents, name = path.split(".")
        matcher = matcher | SandboxMatcher.nested_child(parents, SandboxMatcher(use=frozenset({name})))
    return matcher


@dataclass(frozen=True)
class SandboxRestrictions:
    """What the guard refuses and which modules it trusts."""

    passthrough_modules: frozenset[str]
    invalid_modules: SandboxMatcher
    invalid_module_members: SandboxMatcher
    passthrough_all_modules: bool = False
    disable_lazy_sys_module_passthrough: bool = False
    import_notification_policy: Any = None

    passthrough_modules_minimum: ClassVar[frozenset[str]]
    passthrough_modules_with_temporal: ClassVar[frozenset[str]]
    passthrough_modules_maximum: ClassVar[frozenset[str]]
    passthrough_modules_default: ClassVar[frozenset[str]]
    invalid_module_members_default: ClassVar[SandboxMatcher]
    default: ClassVar[SandboxRestrictions]

    def with_passthrough_modules(self, *modules: str) -> SandboxRestrictions:
        """A copy that also trusts ``modules`` (and their submodules)."""
        return dataclasses.replace(self, passthrough_modules=self.passthrough_modules | frozenset(modules))

    def with_passthrough_all_modules(self) -> SandboxRestrictions:
        """A copy with ``passthrough_all_modules`` set (no effect in Legato: nothing is re-imported)."""
        return dataclasses.replace(self, passthrough_all_modules=True)

    def with_import_notification_policy(self, policy: Any) -> SandboxRestrictions:
        """A copy with ``import_notification_policy`` set (no effect in Legato)."""
        return dataclasses.replace(self, import_notification_policy=policy)


SandboxRestrictions.passthrough_modules_minimum = frozenset({"typing", "typing_extensions", "pathlib", "importlib"})
SandboxRestrictions.passthrough_modules_with_temporal = SandboxRestrictions.passthrough_modules_minimum | {
    "asyncio",
    "abc",
    "legato",
    "pydantic",
    "pydantic_core",
    "annotated_types",
}
# As temporalio's, the standard library too; its modules' calls are still checked against their caller.
SandboxRestrictions.passthrough_modules_maximum = SandboxRestrictions.passthrough_modules_with_temporal | {
    name for name in sys.stdlib_module_names if name != "sys"
}
SandboxRestrictions.passthrough_modules_default = SandboxRestrictions.passthrough_modules_maximum
SandboxRestrictions.invalid_module_members_default = _matcher_of(list(guard.DEFAULT_MEMBERS))
SandboxRestrictions.default = SandboxRestrictions(
    passthrough_modules=SandboxRestrictions.passthrough_modules_default,
    invalid_modules=SandboxMatcher.none,
    invalid_module_members=SandboxRestrictions.invalid_module_members_default,
)


class WorkflowRunner:
    """How a worker runs workflow code, as ``temporalio.worker.WorkflowRunner``."""

    def _guard_policy(self) -> guard.Policy | None:
        """The guard for this runner's activations; None runs them unguarded."""
        return None


@dataclass(frozen=True)
class UnsandboxedWorkflowRunner(WorkflowRunner):
    """Runs workflow code without the determinism guard."""


@dataclass(frozen=True)
class SandboxedWorkflowRunner(WorkflowRunner):
    """Runs workflow code under the determinism guard (the default).

    Args:
        restrictions: What the guard refuses and which modules it trusts.
        runner_class: Accepted for temporalio's signature; Legato has one runner inside.
    """

    restrictions: SandboxRestrictions = SandboxRestrictions.default
    runner_class: type[WorkflowRunner] = UnsandboxedWorkflowRunner
    _policy: list[guard.Policy] = field(default_factory=list, init=False, repr=False, compare=False)

    def _guard_policy(self) -> guard.Policy:
        # Built once: resolving the guarded members imports their modules.
        if not self._policy:
            self._policy.append(_policy_of(self.restrictions))
        return self._policy[0]


def _policy_of(restrictions: SandboxRestrictions) -> guard.Policy:
    members = {
        path: guard.DEFAULT_MEMBERS.get(path) or message or "it is not deterministic; move it to an activity"
        for path, message in restrictions.invalid_module_members.leaves().items()
    }
    # A standard module's calls are checked against its caller, so only others are trusted outright.
    trusted = {m for m in restrictions.passthrough_modules if m.partition(".")[0] not in sys.stdlib_module_names}
    return guard.build_policy(members, trusted)
