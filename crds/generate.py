"""Writes the CRDs in this folder from one description, so the grid kinds cannot drift apart.

Run ``python3 crds/generate.py`` (with the test extras installed: it reads the Kubernetes schemas from
``kubernetes-validate``) after changing it; a test fails when the YAML files, the chart's copies in
charts/servicegroup/crds/ or the CLI's schema file and this script disagree.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
if str(ROOT) not in sys.path:  # run as a script (sys.path[0] is crds/): use this checkout's hooks package
    sys.path.insert(0, str(ROOT))

from crds.label_selector import label_selector  # noqa: E402
from crds.rollout_schema import ROLLOUT_COLUMNS, ROLLOUT_SPEC, ROLLOUT_STATUS  # noqa: E402
from crds.structural import (  # noqa: E402
    CRONJOB_SPEC,
    DAEMONSET_SPEC,
    DEPLOYMENT_SPEC,
    HPA_SPEC,
    SERVICE_SPEC,
    STATEFULSET_SPEC,
    structural,
)
from hooks import GROUP  # noqa: E402
from hooks.grids.autoscaling_spec import MODES  # noqa: E402
from hooks.grids.history import DEFAULT_HISTORY_LIMIT, MAX_HISTORY_LIMIT  # noqa: E402
from hooks.grids.limits import (  # noqa: E402
    MAX_OVERRIDES,
    MAX_PATCH_OPERATIONS,
    MAX_PATCH_OPERATIONS_PER_ENTRY,
    MAX_UNIT_PATCH_OPERATIONS,
)
from hooks.kube.documents import PlainDumper  # noqa: E402
from hooks.nodegroups.tombstones import (  # noqa: E402
    DEFAULT_TOMBSTONE_SECONDS,
    MAX_TOMBSTONE_SECONDS,
    MIN_TOMBSTONE_SECONDS,
)
from hooks.sites.site_spec import MAX_GRACE_SECONDS  # noqa: E402

CHART_CRDS = ROOT / "charts" / "servicegroup" / "crds"
CLI_SCHEMAS = ROOT / "hooks" / "cli" / "grid_schemas.json"

# A label key: optional DNS-subdomain prefix and "/", then a 1-63 character name.
LABEL_KEY_PATTERN = (
    r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?"
    r"([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$"
)

PRESERVE = {"type": "object", "x-kubernetes-preserve-unknown-fields": True}

NODE_SELECTOR = label_selector("A LabelSelector over Node labels; only matching nodes form units.")

GRID_UNIQ_KEY = {
    "type": "string",
    "maxLength": 317,
    "pattern": LABEL_KEY_PATTERN,
    "description": "Node label key whose distinct values define the NodeUnits (sites).",
}

CONDITIONS = {
    "type": "array",
    "items": {
        "type": "object",
        "required": ["type", "status"],
        "properties": {
            "type": {"type": "string"},
            "status": {"type": "string"},
            "reason": {"type": "string"},
            "message": {"type": "string"},
            "lastTransitionTime": {"type": "string", "format": "date-time"},
        },
    },
}

GRID_STATUS = {
    "type": "object",
    "properties": {
        "units": {"type": "integer", "description": "Number of NodeUnits the grid spans."},
        "readyUnits": {"type": "integer", "description": "Units whose child is current and fully available."},
        "observedGeneration": {"type": "integer"},
        "states": {
            "type": "object",
            "description": "Per unit: the child's key status figures, readiness and any error.",
            "additionalProperties": PRESERVE,
        },
        "conditions": CONDITIONS,
        "applying": {
            "type": "object",
            "description": "Unit (or '(the shared Service)') -> revision stamp of the child the last sync sent "
            "and did not observe yet; absent when every child is observed as rendered.",
            "additionalProperties": {"type": "string"},
        },
        "notAppliedSince": {
            "type": "object",
            "description": "Unit (or '(the shared Service)') -> since when its child is known not to have "
            "appeared although Metacontroller applied it; named in Synced (ChildrenNotApplied) 30 s later.",
            "additionalProperties": {"type": "string"},
        },
        "unmatchedOverrideUnits": {
            "type": "array",
            "description": "Unit values named by spec.overrides that no current unit has (sites come and go).",
            "items": {"type": "string"},
        },
    },
}

# A label value: at most 63 characters, alphanumeric at both ends, [-A-Za-z0-9_.] inside.
LABEL_VALUE_PATTERN = r"^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)$"


def autoscaling_schema(description: str) -> dict:
    """The HorizontalPodAutoscaler spec (Kubernetes' schema) without scaleTargetRef, plus ``mode``."""
    hpa = structural(HPA_SPEC)
    properties = {name: value for name, value in hpa["properties"].items() if name != "scaleTargetRef"}
    properties["minReplicas"] = {**properties["minReplicas"], "minimum": 1}
    properties["maxReplicas"] = {**properties["maxReplicas"], "minimum": 1}
    properties["mode"] = {
        "type": "string",
        "enum": list(MODES),
        "description": "Who owns the units' replicas: HPA (default: one HorizontalPodAutoscaler per unit), "
        "External (something else, e.g. KEDA: no HPA, replicas never changed by the grid) or Disabled (the grid, "
        "from the template and overrides).",
    }
    return {"type": "object", "description": description, "properties": properties}


AUTOSCALING = autoscaling_schema(
    "Per-unit autoscaling: the autoscaling/v2 HorizontalPodAutoscaler spec without scaleTargetRef; {{unit}} in "
    "metrics becomes the unit value. An autoscaled unit's replicas are never changed by the grid."
)

PATCH_OPERATION = {
    "type": "object",
    "description": "One RFC 6902 operation, applied to the whole child object. Every {{unit}} in its strings "
    "(path, from, values and keys) becomes the unit value.",
    "required": ["op", "path"],
    "properties": {
        "op": {"type": "string", "enum": ["add", "remove", "replace", "move", "copy", "test"]},
        "path": {"type": "string", "pattern": "^/", "description": "JSON pointer into the child, e.g. /spec/paused."},
        "from": {"type": "string", "pattern": "^/", "description": "Source pointer of move and copy."},
        "value": {
            "x-kubernetes-preserve-unknown-fields": True,
            "description": "Any JSON value (add, replace, test).",
        },
    },
}

UNITS = {
    "type": "array",
    "description": "Unit values this entry applies to; omitted means every unit.",
    "items": {"type": "string", "maxLength": 63, "pattern": LABEL_VALUE_PATTERN},
}

PATCH = {
    "type": "array",
    "maxItems": MAX_PATCH_OPERATIONS_PER_ENTRY,
    "description": f"RFC 6902 operations (at most {MAX_PATCH_OPERATIONS_PER_ENTRY} per entry, "
    f"{MAX_PATCH_OPERATIONS:,} per grid, {MAX_UNIT_PATCH_OPERATIONS} applying to one unit).",
    "items": PATCH_OPERATION,
}

REPLICAS = {"replicas": {"type": "integer", "format": "int32", "minimum": 0}}


def overrides_schema(fields: dict, description: str = "", after: dict | None = None) -> dict:
    """``spec.overrides`` of a workload grid whose entries may set ``fields`` (besides units, images, patch)
    and ``after`` (listed last: a kind with replicas may autoscale)."""
    after = after or {}
    return {
        "type": "array",
        "maxItems": MAX_OVERRIDES,
        "description": "Per-unit differences, applied in order after the template choice; the unit pinning, "
        f"name, namespace, unit labels and selector are enforced afterwards.{description}",
        "items": {
            "type": "object",
            "properties": {
                "units": UNITS,
                **fields,
                "images": {
                    "type": "object",
                    "description": "Container (or initContainer) name -> image.",
                    "additionalProperties": {"type": "string", "minLength": 1},
                },
                "patch": PATCH,
                **after,
            },
        },
    }


ENTRY_AUTOSCALING = {
    "autoscaling": autoscaling_schema(
        "Laid over spec.autoscaling for these units: each field given replaces the grid's; "
        "mode: Disabled opts the units out."
    )
}
OVERRIDES = overrides_schema(REPLICAS, after=ENTRY_AUTOSCALING)

GRACE_PERIOD = {
    "type": "integer",
    "minimum": 0,
    "maximum": MAX_GRACE_SECONDS,
    "description": "Seconds a unit's children are kept after its last node disappears (default 0: removed at once).",
}

GRID_COLUMNS = [
    {"name": "Key", "type": "string", "jsonPath": ".spec.gridUniqKey"},
    {"name": "Units", "type": "integer", "jsonPath": ".status.units"},
    {"name": "Ready", "type": "integer", "jsonPath": ".status.readyUnits"},
    {"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"},
]


NODEGROUP_SPEC = {
    "type": "object",
    "required": ["gridUniqKey"],
    "properties": {
        "gridUniqKey": GRID_UNIQ_KEY,
        "nodeSelector": NODE_SELECTOR,
        "unitTombstoneSeconds": {
            "type": "integer",
            "minimum": MIN_TOMBSTONE_SECONDS,
            "maximum": MAX_TOMBSTONE_SECONDS,
            "description": "Seconds a site's NodeUnit is kept as a tombstone (spec.nodes empty) after its last node "
            "left, so that grids with siteSource NodeUnits see that the site is gone (default "
            f"{DEFAULT_TOMBSTONE_SECONDS}, one day; longer while a workload grid reading NodeUnits still lists the "
            "site).",
        },
    },
}

# Every field the NodeGroup hook writes must be declared here: a structural schema prunes unknown status
# fields, and a written status that never matches the stored one would resync the NodeGroup forever.
NODE_UNIT_STATE = {
    "type": "object",
    "properties": {
        "nodes": {"type": "array", "items": {"type": "string"}, "description": "Names of the unit's nodes."},
        "readyNodes": {"type": "integer", "description": "Nodes whose Ready condition is True."},
        "notReadyNodes": {"type": "integer"},
        "workloads": {"type": "integer", "description": "Workload grids of this key expected in the unit."},
        "readyWorkloads": {"type": "integer"},
        "notReadyWorkloads": {
            "type": "array",
            "items": {"type": "string"},
            "description": "namespace/Kind/name of grids not ready in this unit (at most 10 listed).",
        },
        "ready": {"type": "boolean", "description": "A Ready node and every expected workload ready."},
        "unableToScaleWorkloads": {
            "type": "integer",
            "description": "Workload grids whose autoscaler in this unit reports it cannot scale (absent: none).",
        },
        "unableToScale": {
            "type": "array",
            "items": {"type": "string"},
            "description": "namespace/Kind/name of those grids (at most 10 listed).",
        },
    },
}

NODEGROUP_STATUS = {
    "type": "object",
    "properties": {
        "units": {"type": "integer", "description": "Number of NodeUnits (sites) of the key."},
        "readyUnits": {"type": "integer", "description": "Units with a Ready node and no not-ready workload."},
        "unitsUnableToScale": {
            "type": "integer",
            "description": "Units where some grid's autoscaler reports it cannot scale (absent: none).",
        },
        "observedGeneration": {"type": "integer"},
        "nodeUnits": {
            "type": "object",
            "description": "Per unit: nodes and workload health.",
            "additionalProperties": NODE_UNIT_STATE,
        },
        "conditions": CONDITIONS,
    },
}


SITE_SOURCE = {
    "type": "string",
    "enum": ["Nodes", "NodeUnits", "NodeSummaries"],
    "description": "Where units come from: Nodes (default; SuperEdge behaviour), the NodeSummaries the node "
    "summary decorator keeps of each Node (the same units; node heartbeats never resync the grid), or the "
    "NodeUnits a NodeGroup of gridUniqKey keeps (nodeSelector may then only use gridUniqKey).",
}

# A NodeSummary holds what a grid reads of one Node (its labels, on the object, and its Ready condition's status and
# transition time), so a heartbeat, which changes neither, does not write it.
NODESUMMARY_SPEC = {
    "type": "object",
    "properties": {
        "ready": {
            "type": "object",
            "description": "The Node's Ready condition; absent when the Node has none.",
            "properties": {
                "status": {"type": "string", "description": "True, False or Unknown."},
                "lastTransitionTime": {"type": "string", "format": "date-time"},
            },
        },
    },
}

NODESUMMARY_COLUMNS = [
    {"name": "Ready", "type": "string", "jsonPath": ".spec.ready.status"},
    {"name": "Since", "type": "date", "jsonPath": ".spec.ready.lastTransitionTime"},
    {"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"},
]

# A NodeUnit holds membership and the site's readiness transitions (no heartbeat-derived data), so it changes only
# when a site gains or loses nodes, goes dark or comes back.
NODEUNIT_SPEC = {
    "type": "object",
    "required": ["gridUniqKey", "unit", "nodes"],
    "properties": {
        "gridUniqKey": GRID_UNIQ_KEY,
        "unit": {
            "type": "string",
            "maxLength": 63,
            "pattern": r"^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$",
            "description": "The unit (site): the value of gridUniqKey its nodes carry.",
        },
        "nodes": {
            "type": "array",
            "items": {"type": "string"},
            "description": "Names of the unit's nodes, sorted. Empty: a tombstone, the site is gone.",
        },
        "nodeCount": {"type": "integer", "description": "len(nodes), for kubectl's columns (0: a tombstone)."},
        "readySince": {
            "type": "string",
            "format": "date-time",
            "description": "The site has had a Ready node since then (kept while it stays online).",
        },
        "notReadySince": {
            "type": "string",
            "format": "date-time",
            "description": "No node of the site has been Ready since then (a rollout defers the site once this is "
            "spec.rollout.offlineAfterSeconds old).",
        },
    },
}

NODEUNIT_COLUMNS = [
    {"name": "Key", "type": "string", "jsonPath": ".spec.gridUniqKey"},
    {"name": "Unit", "type": "string", "jsonPath": ".spec.unit"},
    {"name": "Nodes", "type": "integer", "jsonPath": ".spec.nodeCount"},
    {"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"},
    {"name": "Node-Names", "type": "string", "jsonPath": ".spec.nodes", "priority": 1},
    {"name": "Not-Ready-Since", "type": "string", "jsonPath": ".spec.notReadySince", "priority": 1},
]


WORKLOAD_TEMPLATES = {
    "Deployment": DEPLOYMENT_SPEC,
    "StatefulSet": STATEFULSET_SPEC,
    "DaemonSet": DAEMONSET_SPEC,
    "CronJob": CRONJOB_SPEC,
}

CRONJOB_OVERRIDES = {
    "schedule": {"type": "string", "minLength": 1, "description": "The unit's cron schedule (spec.schedule)."},
    "timeZone": {"type": "string", "minLength": 1, "description": "The unit's time zone (spec.timeZone)."},
    "suspend": {"type": "boolean", "description": "Suspend the unit's CronJob (spec.suspend)."},
}


def workload_spec(what: str, overrides: dict = OVERRIDES, scalable: bool = True) -> dict:
    """A workload grid's spec; ``scalable``: the kind has replicas, so it may be autoscaled."""
    template = structural(WORKLOAD_TEMPLATES[what])
    return {
        "type": "object",
        "required": ["gridUniqKey", "template"],
        "properties": {
            "gridUniqKey": GRID_UNIQ_KEY,
            "template": {**template, "description": f"A {what} spec, used for every unit by default."},
            "templatePool": {
                "type": "object",
                "description": f"Named alternative {what} specs (SuperEdge compatible).",
                "additionalProperties": template,
            },
            "templates": {
                "type": "object",
                "description": "Unit value -> name of a templatePool entry.",
                "additionalProperties": {"type": "string"},
            },
            "defaultTemplateName": {"type": "string"},
            "autoDeleteUnusedTemplate": {"type": "boolean", "description": "Accepted for compatibility; ignored."},
            "nodeSelector": NODE_SELECTOR,
            "unitRemovalGracePeriodSeconds": GRACE_PERIOD,
            "overrides": overrides,
            "siteSource": SITE_SOURCE,
            "rollout": ROLLOUT_SPEC,
            **({"autoscaling": AUTOSCALING} if scalable else {}),
            "revisionHistoryLimit": {
                "type": "integer",
                "minimum": 0,
                "maximum": MAX_HISTORY_LIMIT,
                "description": "Old revisions kept as ControllerRevisions (labelled superedge.io/grid-selector: "
                "<grid>) besides the current one, and the last completed one while a rollout is in progress "
                f"(default {DEFAULT_HISTORY_LIMIT}). A rollback (spec.rollout.onFailure) reads them.",
            },
        },
    }


COUNT = {"type": "integer", "minimum": 0}
AUTOSCALING_STATUS = {
    "type": "object",
    "description": "Summary of the units' autoscalers (present when some unit's replicas are not the grid's).",
    "properties": {
        "state": {
            "type": "string",
            "description": "Active (every HPA can scale), CannotScale (some HPA reports AbleToScale or "
            "ScalingActive False), Waiting (some HPA has not reported yet) or External (no HPA of the grid).",
        },
        "units": {**COUNT, "description": "Units with an HPA of the grid."},
        "ableToScaleUnits": {**COUNT, "description": "Of those, units whose HPA reports it can scale."},
        "unableToScaleUnits": COUNT,
        "unableToScale": {"type": "array", "items": {"type": "string"}, "description": "At most 10, sorted."},
        "externalUnits": {**COUNT, "description": "Units whose replicas something else owns (mode External)."},
    },
}
AUTOSCALING_COLUMNS = [
    {"name": "Autoscaling", "type": "string", "jsonPath": ".status.autoscaling.state"},
    {"name": "Autoscaled", "type": "integer", "jsonPath": ".status.autoscaling.units", "priority": 1},
    {"name": "Can-Scale", "type": "integer", "jsonPath": ".status.autoscaling.ableToScaleUnits", "priority": 1},
]

# Workload grids add the rollout and autoscaling to status and columns (before Age; details with -o wide).
WORKLOAD_STATUS = {
    **GRID_STATUS,
    "properties": {**GRID_STATUS["properties"], "rollout": ROLLOUT_STATUS, "autoscaling": AUTOSCALING_STATUS},
}
WORKLOAD_COLUMNS = [
    *GRID_COLUMNS[:-1],
    ROLLOUT_COLUMNS[0],
    AUTOSCALING_COLUMNS[0],
    GRID_COLUMNS[-1],
    *ROLLOUT_COLUMNS[1:],
    *AUTOSCALING_COLUMNS[1:],
]

# Workload grids without replicas (DaemonSetGrid, CronJobGrid) have the rollout but no autoscaling.
UNSCALED_STATUS = {**GRID_STATUS, "properties": {**GRID_STATUS["properties"], "rollout": ROLLOUT_STATUS}}
UNSCALED_COLUMNS = [*GRID_COLUMNS[:-1], ROLLOUT_COLUMNS[0], GRID_COLUMNS[-1], *ROLLOUT_COLUMNS[1:]]


SERVICEGRID_SPEC = {
    "type": "object",
    "required": ["gridUniqKey", "template"],
    "properties": {
        "gridUniqKey": GRID_UNIQ_KEY,
        "template": {
            **structural(SERVICE_SPEC),
            "description": "A Service spec: the shared Service <name>-svc uses it as is; "
            "per-unit Services derive from it.",
        },
        "nodeSelector": NODE_SELECTOR,
        "unitRemovalGracePeriodSeconds": GRACE_PERIOD,
        "siteSource": SITE_SOURCE,
        "perUnitServices": {
            "type": "boolean",
            "description": "Also keep one Service <name>-svc-<unit> per unit selecting only that unit's pods "
            "(default true).",
        },
    },
}


CONFIG_DATA = {
    "type": "object",
    "description": "Key -> value of every unit's ConfigMap; {{unit}} in a value becomes the unit value.",
    "additionalProperties": {"type": "string"},
}
CONFIG_BINARY = {
    "type": "object",
    "description": "Key -> base64 of bytes, in every unit's ConfigMap as binaryData (canonical base64).",
    "additionalProperties": {"type": "string", "format": "byte"},
}

CONFIGMAPGRID_SPEC = {
    "type": "object",
    "required": ["gridUniqKey"],
    "properties": {
        "gridUniqKey": GRID_UNIQ_KEY,
        "data": CONFIG_DATA,
        "binaryData": CONFIG_BINARY,
        "nodeSelector": NODE_SELECTOR,
        "unitRemovalGracePeriodSeconds": GRACE_PERIOD,
        "siteSource": SITE_SOURCE,
        "overrides": {
            "type": "array",
            "maxItems": MAX_OVERRIDES,
            "description": "Per-unit differences, applied in order: data and binaryData set keys, patch is RFC "
            "6902 on the whole ConfigMap; name, namespace and unit labels are enforced afterwards.",
            "items": {
                "type": "object",
                "properties": {
                    "units": UNITS,
                    "data": {**CONFIG_DATA, "description": "Keys set in the units' ConfigMaps ({{unit}} replaced)."},
                    "binaryData": {**CONFIG_BINARY, "description": "Keys set in the units' binaryData."},
                    "patch": PATCH,
                },
            },
        },
    },
}


def crd(kind: str, plural: str, short: str, spec: dict, status: dict | None, columns: list, scope: str) -> dict:
    """One CRD; ``status=None`` means a kind with no status at all (and so no status subresource)."""
    properties = {"apiVersion": {"type": "string"}, "kind": {"type": "string"}, "metadata": {"type": "object"}}
    properties["spec"] = spec
    if status is not None:
        properties["status"] = status
    version = {"name": "v1", "served": True, "storage": True}
    if status is not None:
        version["subresources"] = {"status": {}}
    version["additionalPrinterColumns"] = columns
    version["schema"] = {"openAPIV3Schema": {"type": "object", "properties": properties}}
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": f"{plural}.{GROUP}"},
        "spec": {
            "group": GROUP,
            "scope": scope,
            "names": {
                "kind": kind,
                "listKind": f"{kind}List",
                "plural": plural,
                "singular": kind.lower(),
                "shortNames": [short],
                "categories": ["servicegroup"],
            },
            "versions": [version],
        },
    }


def all_crds() -> dict[str, dict]:
    """File name -> CRD object."""
    return {
        "deploymentgrids.yaml": crd(
            "DeploymentGrid",
            "deploymentgrids",
            "dg",
            workload_spec("Deployment"),
            WORKLOAD_STATUS,
            WORKLOAD_COLUMNS,
            "Namespaced",
        ),
        "statefulsetgrids.yaml": crd(
            "StatefulSetGrid",
            "statefulsetgrids",
            "ssg",
            workload_spec("StatefulSet"),
            WORKLOAD_STATUS,
            WORKLOAD_COLUMNS,
            "Namespaced",
        ),
        "daemonsetgrids.yaml": crd(
            "DaemonSetGrid",
            "daemonsetgrids",
            "dsg",
            workload_spec("DaemonSet", overrides_schema({}, " A DaemonSet has no replicas."), scalable=False),
            UNSCALED_STATUS,
            UNSCALED_COLUMNS,
            "Namespaced",
        ),
        "cronjobgrids.yaml": crd(
            "CronJobGrid",
            "cronjobgrids",
            "cjg",
            workload_spec(
                "CronJob", overrides_schema(CRONJOB_OVERRIDES, " A CronJob has no replicas."), scalable=False
            ),
            UNSCALED_STATUS,
            UNSCALED_COLUMNS,
            "Namespaced",
        ),
        # Same columns as the grids: Key, Units, Ready (ready units), Age.
        "nodegroups.yaml": crd(
            "NodeGroup", "nodegroups", "ng", NODEGROUP_SPEC, NODEGROUP_STATUS, GRID_COLUMNS, "Cluster"
        ),
        "nodeunits.yaml": crd("NodeUnit", "nodeunits", "nu", NODEUNIT_SPEC, None, NODEUNIT_COLUMNS, "Cluster"),
        "nodesummaries.yaml": crd(
            "NodeSummary", "nodesummaries", "nsum", NODESUMMARY_SPEC, None, NODESUMMARY_COLUMNS, "Cluster"
        ),
        "configmapgrids.yaml": crd(
            "ConfigMapGrid", "configmapgrids", "cmg", CONFIGMAPGRID_SPEC, GRID_STATUS, GRID_COLUMNS, "Namespaced"
        ),
        "servicegrids.yaml": crd(
            "ServiceGrid", "servicegrids", "sg", SERVICEGRID_SPEC, GRID_STATUS, GRID_COLUMNS, "Namespaced"
        ),
    }


def render(obj: dict) -> str:
    header = "# Generated by crds/generate.py; edit that script, not this file.\n"
    return header + yaml.dump(obj, Dumper=PlainDumper, sort_keys=False, width=120)


def cli_schemas(crds: dict[str, dict]) -> str:
    """Kind -> the ``spec`` schema of each namespaced grid CRD, for ``servicegroup render``'s unknown-field check.

    The CLI ships inside the Python package, without crds/; one compact JSON file is the same schema.
    """
    specs = {}
    for obj in crds.values():
        if obj["spec"]["scope"] == "Namespaced":
            schema = obj["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]
            specs[obj["spec"]["names"]["kind"]] = schema
    return json.dumps(specs, sort_keys=True, separators=(",", ":")) + "\n"


def main() -> int:
    crds = all_crds()
    CHART_CRDS.mkdir(parents=True, exist_ok=True)
    for name, obj in crds.items():
        (HERE / name).write_text(render(obj))
        (CHART_CRDS / name).write_text(render(obj))
    CLI_SCHEMAS.write_text(cli_schemas(crds))
    return 0


if __name__ == "__main__":
    sys.exit(main())
