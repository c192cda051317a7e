"""Builders for NodeUnits and for grid requests in ``siteSource: NodeUnits`` mode.

NodeUnits are made the way a cluster makes them: by running the NodeGroup
sync hook over Nodes and adding what the API server and Metacontroller add.
"""

from __future__ import annotations

import copy

from hooks.nodegroups import nodegroup
from hooks.sites.nodeunit import NODEUNIT_TYPE
from tests.support.builders import NOW
from tests.support.nodegroup_builders import ng_request, node_group


def as_stored(desired: dict, uid: str = "ng-uid") -> dict:
    """A desired NodeUnit as the API server returns it after Metacontroller created it."""
    live = copy.deepcopy(desired)
    meta = live["metadata"]
    meta["labels"]["controller-uid"] = uid
    meta.update(uid=f"nu-{meta['name']}", resourceVersion="5", generation=1, creationTimestamp=NOW)
    return live


def nodeunits_of(
    nodes: dict,
    key: str = "site",
    group: str = "sites",
    seen: dict | None = None,
    now: str = NOW,
    grids: list[dict] = (),
    **spec,
) -> dict:
    """The ``NodeUnit`` map (cluster-scoped: keyed by name) a NodeGroup ``group`` of ``key`` keeps for ``nodes``.

    ``seen`` is the NodeGroup's observed NodeUnits (an earlier call's result): sites in it that have no
    node any more come back as tombstones; so do sites the ``grids`` (related grids with status) still list.
    """
    parent = node_group(group, gridUniqKey=key, **spec)
    children = nodegroup.sync(ng_request(parent, nodes, grids, nodeunits=seen), now)["children"]
    return {c["metadata"]["name"]: as_stored(c) for c in children}


def nu_request(parent: dict, nodeunits: dict, children: dict | None = None, child_type: str = "Deployment.apps/v1"):
    """A grid's v2 sync request whose ``related`` map holds only NodeUnits (what its customize hook asked for)."""
    return {
        "controller": {"metadata": {"name": "deploymentgrid-controller"}},
        "parent": copy.deepcopy(parent),
        "children": {child_type: copy.deepcopy(children or {})},
        "related": {NODEUNIT_TYPE: copy.deepcopy(nodeunits)},
        "finalizing": False,
    }
