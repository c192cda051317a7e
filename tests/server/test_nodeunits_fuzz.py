"""Fuzzing grids in ``siteSource: NodeUnits`` mode: never 5xx, never drop the child of a unit that has a NodeUnit.

The route-level fuzzing (tests/server/test_fuzz.py) starts from Nodes-mode requests; this starts from NodeUnits-mode
ones, so the junk also lands in NodeUnit objects, ``siteSource`` and the NodeUnit list itself.
"""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hooks.kube.names import is_label_value
from hooks.sites.nodeunit import NODEUNIT_TYPE
from tests.server.test_fuzz import APP, must_keep, mutate
from tests.support.builders import children_map, grid, observed, site_nodes
from tests.support.nodeunit_builders import nodeunits_of, nu_request

CHILD_TYPES = {"DeploymentGrid": "Deployment.apps/v1", "StatefulSetGrid": "StatefulSet.apps/v1"}


pytestmark = pytest.mark.usefixtures("without_schema_check")


def base_request(kind: str) -> dict:
    child_type = CHILD_TYPES[kind]
    nodeunits = nodeunits_of(site_nodes(a=2, b=1, c=1))
    first = nu_request(grid(kind, siteSource="NodeUnits"), nodeunits, child_type=child_type)
    made = APP.test_client().post(f"/{kind.lower()}/sync", json=first).get_json()["children"]
    lives = children_map([observed(c) for c in made])
    return nu_request(grid(kind, siteSource="NodeUnits"), nodeunits, lives, child_type)


def units_with_nodeunits(req: dict, key: str) -> set[str]:
    """Units that still have a well-formed, live NodeUnit of ``key`` (judged without the hook's own code).

    A NodeUnit whose ``spec.nodes`` is an empty list is a tombstone: its site is gone.
    """
    group = (req.get("related") or {}).get(NODEUNIT_TYPE) if isinstance(req.get("related"), dict) else None
    out = set()
    for obj in group.values() if isinstance(group, dict) else ():
        spec = obj.get("spec") if isinstance(obj, dict) else None
        if not isinstance(spec, dict):
            continue
        unit = spec.get("unit")
        if spec.get("gridUniqKey") == key and is_label_value(unit) and unit and spec.get("nodes") != []:
            out.add(unit)
    return out


@pytest.mark.parametrize("kind", sorted(CHILD_TYPES))
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_fuzzed_nodeunits_requests_never_5xx_nor_drop_live_children(kind, data):
    req = mutate(base_request(kind), data.draw)
    resp = APP.test_client().post(f"/{kind.lower()}/sync", data=json.dumps(req), content_type="application/json")
    assert resp.status_code < 500, resp.get_data(as_text=True)
    body = resp.get_json()
    if resp.status_code != 200:
        assert "error" in body
        return
    returned = {c["metadata"]["name"] for c in body["children"]}
    assert must_keep(req, CHILD_TYPES[kind], "", units_with_nodeunits) <= returned
