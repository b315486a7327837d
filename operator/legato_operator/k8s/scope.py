"""Which resources this operator reconciles: its namespaces and its instance label.

Two operators on one API server (two Helm releases, say) must never handle the same
resource: both would start its run, write its status and fight over its finalizer. Each
is given the namespaces it watches, and may be given an instance name; it then handles
only the resources labelled ``legato.dev/instance=<name>``, and an operator without a
name only the resources without the label (Argo Workflows' controller instance id works
the same way). The label is a server-side selector of kopf's watches, so an operator never
sees, annotates or finalizes a resource that is not its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

INSTANCE_LABEL = "legato.dev/instance"
GROUP = "legato.dev"


@dataclass(frozen=True)
class Scope:
    """The namespaces watched (empty: all of them) and the instance name ("" for none)."""

    namespaces: tuple[str, ...] = ()
    instance: str = ""

    @property
    def label_selector(self) -> str:
        """The watches' label selector: this instance's resources and no other's."""
        return f"{INSTANCE_LABEL}={self.instance}" if self.instance else f"!{INSTANCE_LABEL}"

    def kopf_arguments(self) -> dict[str, Any]:
        """What `kopf.operator` is given: cluster-wide, or the listed namespaces only."""
        if not self.namespaces:
            return {"clusterwide": True}
        return {"clusterwide": False, "namespaces": list(self.namespaces)}

    def describe(self) -> str:
        where = ", ".join(self.namespaces) if self.namespaces else "every namespace"
        which = f"labelled {INSTANCE_LABEL}={self.instance}" if self.instance else f"without {INSTANCE_LABEL}"
        return f"resources {which} in {where}"
