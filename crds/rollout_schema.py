"""The CRD schema of ``spec.rollout`` and ``status.rollout`` (DeploymentGrid, StatefulSetGrid).

Kept apart from generate.py so the rollout's schema reads in one place; generate.py adds it to both
workload grid kinds. Checks the schema cannot express (unique step names, a step picking something,
NodeUnits grids selecting units by name only) are the hook's: an invalid spec is ``InvalidSpec``.
"""

from __future__ import annotations

from crds.label_selector import label_selector
from hooks.grids.rollout_spec import MAX_DEADLINE_SECONDS, ON_FAILURE

MAX_UPDATING = {
    "x-kubernetes-int-or-string": True,
    "pattern": r"^([1-9][0-9]?|100)%$",
    "description": "How many of the step's units may be on their way to the new revision (updated but not yet "
    "healthy) at once: a count of at least 1, or a percentage of the step's units (rounded down, at least 1). "
    "Default 1.",
}

STEP = {
    "type": "object",
    "description": "Units picked by name and/or by node labels; a unit is in the first step that picks it.",
    "properties": {
        "name": {
            "type": "string",
            "maxLength": 63,
            "pattern": r"^[a-z]([-a-z0-9]*[a-z0-9])?$",
            "description": "Shown in status (default step-<n>); 'remaining' is the implicit last step's.",
        },
        "units": {
            "type": "array",
            "items": {"type": "string", "maxLength": 63},
            "description": "Unit values (sites) in this step.",
        },
        "nodeSelector": label_selector(
            "A LabelSelector over Node labels: a unit is in the step when one of its nodes matches "
            "({} matches every unit). With siteSource NodeUnits only terms on gridUniqKey are allowed."
        ),
        "maxUpdating": MAX_UPDATING,
    },
}

ROLLOUT_SPEC = {
    "type": "object",
    "description": "Progressive rollout: units move to a new revision step by step. Absent: every unit at once.",
    "properties": {
        "steps": {
            "type": "array",
            "items": STEP,
            "description": "Ordered steps; units named by no step form an implicit last step ('remaining').",
        },
        "maxUpdating": {
            **MAX_UPDATING,
            "description": "Default maxUpdating of every step that sets none, and of the implicit last step.",
        },
        "progressDeadlineSeconds": {
            "type": "integer",
            "minimum": 1,
            "maximum": MAX_DEADLINE_SECONDS,
            "description": "A unit not healthy this long after it was updated halts the rollout (default 600).",
        },
        "paused": {"type": "boolean", "description": "No unit moves to a new revision (new sites still get it)."},
        "offlineAfterSeconds": {
            "type": "integer",
            "minimum": 0,
            "maximum": MAX_DEADLINE_SECONDS,
            "description": "A unit none of whose nodes has been Ready for this long is offline: it neither holds "
            "its step nor counts against maxUpdating nor fails, and keeps its child until it is back online "
            "(default 300).",
        },
        "maxFailedUnits": {
            "x-kubernetes-int-or-string": True,
            "pattern": r"^([0-9]|[1-9][0-9]|100)%$",
            "description": "How many units may fail (not healthy progressDeadlineSeconds after they were updated) "
            "before the rollout halts: a count of at least 0, or a percentage of the rollout's units (rounded "
            "down). Default 0.",
        },
        "onFailure": {
            "type": "string",
            "enum": list(ON_FAILURE),
            "description": "Halt (default): when more units failed than maxFailedUnits, no unit moves. Rollback: "
            "also render every unit that moved from the last completed revision, until the spec changes.",
        },
    },
}

COUNT = {"type": "integer"}
UNIT_ENTRIES = {
    "type": "array",
    "items": {
        "type": "object",
        "properties": {"unit": {"type": "string"}, "since": {"type": "string"}, "reason": {"type": "string"}},
    },
}

ROLLOUT_STATUS = {
    "type": "object",
    "description": "Where the rollout stands, computed from the observed children (only with spec.rollout).",
    "properties": {
        "revision": {"type": "string", "description": "Hash of the spec fields that shape children."},
        "state": {
            "type": "string",
            "description": "Progressing, Complete, WaitingForOffline, Degraded, Stuck, Paused, Halted or RolledBack.",
        },
        "step": {"type": "string", "description": "The step in progress (absent when Complete)."},
        "stepIndex": {"type": "integer", "description": "Its index, 0-based; the implicit step is the last."},
        "units": COUNT,
        "updatedUnits": COUNT,
        "healthyUnits": COUNT,
        "heldUnits": {"type": "integer", "description": "Units keeping an older child for now."},
        "updatingUnits": COUNT,
        "updating": {"type": "array", "items": {"type": "string"}, "description": "At most 10, sorted."},
        "haltedUnits": COUNT,
        "halted": {**UNIT_ENTRIES, "description": "The failed units that halted the rollout: at most 10, sorted."},
        "deferredUnits": {"type": "integer", "description": "Offline units keeping an older child until back."},
        "deferred": {"type": "array", "items": {"type": "string"}, "description": "At most 10, sorted."},
        "failedUnits": {"type": "integer", "description": "Units not healthy progressDeadlineSeconds after moving."},
        "failed": {**UNIT_ENTRIES, "description": "At most 10, sorted by unit."},
        "rolledBackTo": {
            "type": "string",
            "description": "The completed revision rolled-back units are rendered from.",
        },
        "rolledBackUnits": {"type": "integer", "description": "Units rendered from rolledBackTo (moved, or new)."},
        "steps": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "name": {"type": "string"},
                    "units": COUNT,
                    "updated": COUNT,
                    "healthy": COUNT,
                    "maxUpdating": {"type": "integer", "description": "As a count for this step's size."},
                },
            },
        },
    },
}

ROLLOUT_COLUMNS = [
    {"name": "Rollout", "type": "string", "jsonPath": ".status.rollout.state"},
    {"name": "Step", "type": "string", "jsonPath": ".status.rollout.step", "priority": 1},
    {"name": "Revision", "type": "string", "jsonPath": ".status.rollout.revision", "priority": 1},
]
