"""Reading spec.autoscaling and an override's autoscaling: checked per block, quantities as stored."""

import re

import pytest

from hooks.grids.autoscaling_spec import Autoscaling, parse_autoscaling
from hooks.grids.grid_spec import parse_workload_spec
from hooks.kube.errors import SpecError
from tests.support.autoscaling_builders import external_metric
from tests.support.builders import deployment_spec


def test_absent_is_none():
    assert parse_autoscaling(None, "spec.autoscaling") is None


def test_every_field_read():
    block = parse_autoscaling(
        {
            "mode": "HPA",
            "minReplicas": 2,
            "maxReplicas": 9,
            "metrics": [external_metric()],
            "behavior": {"scaleUp": {"stabilizationWindowSeconds": 0}},
        },
        "spec.autoscaling",
    )
    assert block == Autoscaling("HPA", 2, 9, (external_metric(),), {"scaleUp": {"stabilizationWindowSeconds": 0}})


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ([], "spec.autoscaling must be an object"),
        ({"maxReplica": 3}, "unknown field(s) maxReplica; allowed: mode, minReplicas"),
        ({"scaleTargetRef": {}}, "unknown field(s) scaleTargetRef"),
        ({"mode": "Off"}, "mode must be one of HPA, External, Disabled, got 'Off'"),
        ({"mode": False}, "mode must be one of"),
        ({"minReplicas": 0}, "minReplicas must be an integer from 1 to 2147483647, got 0"),
        ({"maxReplicas": True}, "maxReplicas must be an integer"),
        ({"maxReplicas": 2**31}, "maxReplicas must be an integer"),
        ({"metrics": {}}, "metrics must be a list of metric specs"),
        ({"metrics": []}, "metrics must not be empty: leave it out"),
        ({"metrics": [{"resource": {}}]}, "metrics[0] must be an object with a 'type'"),
        ({"metrics": [{"type": "Pods", "pods": None}]}, "metrics[0] must not be or contain null"),
        ({"metrics": [external_metric(average="ten")]}, "external.target.averageValue must be a quantity"),
        ({"behavior": []}, "behavior must be an object"),
        ({"behavior": {"scaleUp": {"tolerance": "x"}}}, "behavior.scaleUp.tolerance must be a quantity"),
    ],
)
def test_bad_blocks_name_the_field(value, message):
    with pytest.raises(SpecError, match=re.escape(message)):
        parse_autoscaling(value, "spec.autoscaling")


def test_quantities_are_written_as_stored():
    metric = {
        "type": "Pods",
        "pods": {"metric": {"name": "rps"}, "target": {"type": "AverageValue", "averageValue": 0.5}},
    }
    block = parse_autoscaling({"metrics": [metric, external_metric(average=2000)]}, "spec.autoscaling")
    assert block.metrics[0]["pods"]["target"]["averageValue"] == "500m"
    assert block.metrics[1]["external"]["target"]["averageValue"] == "2k"
    assert metric["pods"]["target"]["averageValue"] == 0.5  # the spec itself is not changed


def test_an_override_replaces_only_the_fields_it_gives():
    grid_block = Autoscaling("HPA", 2, 6, (external_metric(),), {"scaleUp": {}})
    assert Autoscaling(max_replicas=40).over(grid_block) == Autoscaling(
        "HPA", 2, 40, (external_metric(),), {"scaleUp": {}}
    )
    assert Autoscaling(mode="Disabled").over(None) == Autoscaling(mode="Disabled")


def test_the_workload_spec_carries_it_and_overrides_theirs():
    spec = parse_workload_spec(
        {
            "gridUniqKey": "site",
            "template": deployment_spec(),
            "autoscaling": {"maxReplicas": 4},
            "overrides": [{"units": ["a"], "autoscaling": {"mode": "Disabled"}}],
        }
    )
    assert spec.autoscaling == Autoscaling(max_replicas=4)
    assert spec.overrides[0].autoscaling == Autoscaling(mode="Disabled")


def test_an_override_with_a_bad_block_is_a_spec_error():
    with pytest.raises(SpecError, match=r"spec.overrides\[0\].autoscaling.minReplicas"):
        parse_workload_spec(
            {"gridUniqKey": "site", "template": deployment_spec(), "overrides": [{"autoscaling": {"minReplicas": -1}}]}
        )
