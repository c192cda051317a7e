"""A stamp on every rendered child saying what was rendered, so the next sync can tell whether it landed.

Metacontroller reports a child the API server refused only as a ``SyncError`` event on the parent; the
next sync request still carries the old child. The hook, being stateless, cannot remember what it asked
for, but the child can: each rendered child carries ``superedge.io/revision``, a hash of the child as
rendered (without the stamp). On the next sync an observed child whose stamp differs from what would be
rendered now has not (yet) been taken by the API server. Right after a change that is normal for one
sync; hooks.grids.applied tells that from a refusal and names refused children in the grid's status.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

import orjson

from hooks.kube.objects import mapping, with_annotation
from hooks.protocol.partial import TEXT

REVISION_ANNOTATION = "superedge.io/revision"
REVISION_FIELDS = {"metadata": {"annotations": {REVISION_ANNOTATION: TEXT}}}
"""What :func:`observed_revision` reads of an observed child (hooks.protocol.partial)."""


def revision_of(child: Mapping) -> str:
    """16 hex digits of sha256 over the child's canonical JSON (sorted keys), its own stamp left out."""
    meta = mapping(child, "metadata")
    annotations = {k: v for k, v in mapping(meta, "annotations").items() if k != REVISION_ANNOTATION}
    unstamped = {**child, "metadata": {**meta, "annotations": annotations}}
    return hashlib.sha256(orjson.dumps(unstamped, option=orjson.OPT_SORT_KEYS)).hexdigest()[:16]


def stamped(child: dict) -> dict:
    """``child`` with its revision annotation (metadata and annotations copied, the rest shared)."""
    return with_annotation(child, REVISION_ANNOTATION, revision_of(child))


def observed_revision(observed: Mapping | None) -> str | None:
    """The stamp an observed child carries, if any."""
    if observed is None:
        return None
    value = mapping(mapping(observed, "metadata"), "annotations").get(REVISION_ANNOTATION)
    return value if isinstance(value, str) else None


def revision_of_stamped(child: Mapping) -> str:
    """The stamp a rendered child carries (it must have been :func:`stamped`)."""
    return child["metadata"]["annotations"][REVISION_ANNOTATION]


def landed(child: Mapping, observed: Mapping | None) -> bool:
    """Whether the observed child carries the stamp of ``child`` (a stamped, rendered child)."""
    return observed_revision(observed) == revision_of_stamped(child)
