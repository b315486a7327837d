"""What kopf keeps of a resource to notice changes: digests of its fields, never their values.

kopf compares every version of a resource it sees with the copy (the "essence") it stored
after the last successful handling, to decide whether the change matters and which
handlers to call. kopf's `AnnotationsDiffBaseStorage` stores that copy, the whole spec, in
the annotation ``legato.dev/last-handled-configuration``; but all of a resource's
annotations together are limited to 256 KiB, and client-side ``kubectl apply`` keeps a
copy of its own in ``kubectl.kubernetes.io/last-applied-configuration``. A Workflow's
``args`` (and its signals' ``args``) are user input: with a spec past about 128 KiB,
every patch kopf sent was refused (422), so no handling was ever recorded and the
finalizer was never removed.

The reconcilers never read kopf's copy (its ``old``, ``new`` and ``diff``): they read the
spec as it is and keep what they must remember in Postgres. So kopf only needs to notice
*that* something changed, and `DigestDiffBaseStorage` stores a digest for each field of
the spec and one for all labels and one for all annotations: under 1 KiB, however large
the resource. (A handler must therefore not read ``old``, ``new`` or ``diff``, nor filter
on ``field=`` or ``value=``: it would see digests.)

kopf's own ``ignored_fields`` would not do: a field left out is a change kopf never
notices, so a signal appended to ``spec.signals`` would never be delivered and a change
to ``spec.args`` never refused.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from typing import Any, cast

import kopf

# The key of the one entry that stands for all labels, or all annotations, in the essence.
DIGEST_KEY = "digest"


class DigestDiffBaseStorage(kopf.AnnotationsDiffBaseStorage):
    """kopf's annotation diff-base, holding digests instead of the resource's values."""

    def build(self, *, body: kopf.Body, extra_fields: Iterable[kopf.FieldSpec] | None = None) -> kopf.BodyEssence:
        essence = super().build(body=body, extra_fields=extra_fields)
        return cast(kopf.BodyEssence, digested(essence, own_prefix=self.prefix))


def digested(essence: Mapping[str, Any], *, own_prefix: str) -> dict[str, Any]:
    """``essence`` with each field of each stanza (``spec``, ...) replaced by its digest,
    and the labels and the annotations each by one digest.

    Annotations under ``own_prefix`` are left out: they are kopf's own records of its
    progress, which change with every handling and are no change to the resource.
    """
    result: dict[str, Any] = {}
    for stanza, value in essence.items():
        if stanza == "metadata":
            metadata = _digested_metadata(value, own_prefix)
            if metadata:
                result["metadata"] = metadata
        elif isinstance(value, Mapping):
            result[stanza] = {field: digest(v) for field, v in value.items()}
        else:
            result[stanza] = digest(value)
    return result


def _digested_metadata(metadata: Mapping[str, Any], own_prefix: str) -> dict[str, Any]:
    annotations = {k: v for k, v in (metadata.get("annotations") or {}).items() if not k.startswith(f"{own_prefix}/")}
    chosen = {"labels": metadata.get("labels") or {}, "annotations": annotations}
    return {name: {DIGEST_KEY: digest(values)} for name, values in chosen.items() if values}


def digest(value: Any) -> str:
    """A fingerprint of a JSON value: equal values (in any key order) have equal digests."""
    canonical = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return f"sha256:{hashlib.sha256(canonical.encode()).hexdigest()}"
