"""spec.rollout is read strictly: anything odd is InvalidSpec (every child kept), never a guess."""

from __future__ import annotations

import hashlib

import pytest

from hooks.grids.rollout_spec import (
    DEFAULT_DEADLINE_SECONDS,
    REMAINING_STEP,
    MaxUpdating,
    parse_max_updating,
    parse_rollout,
    spec_revision,
)
from hooks.kube.errors import SpecError
from hooks.sites.site_spec import SiteSpec

NODES = SiteSpec("site", {})
NODEUNITS = SiteSpec("site", {}, source="NodeUnits")


def test_absent_means_no_rollout_and_defaults_are_filled_in() -> None:
    assert parse_rollout(None, NODES) is None
    spec = parse_rollout({}, NODES)
    assert [s.name for s in spec.steps] == [REMAINING_STEP]
    assert spec.deadline_seconds == DEFAULT_DEADLINE_SECONDS and spec.paused is False
    assert spec.steps[0].max_updating.of(100) == 1


def test_steps_get_names_and_the_default_max_updating() -> None:
    spec = parse_rollout(
        {"maxUpdating": "10%", "steps": [{"units": ["a"]}, {"name": "wave", "nodeSelector": {}, "maxUpdating": 3}]},
        NODES,
    )
    assert [s.name for s in spec.steps] == ["step-1", "wave", REMAINING_STEP]
    assert [str(s.max_updating) for s in spec.steps] == ["10%", "3", "10%"]
    assert spec.uses_node_labels


@pytest.mark.parametrize(
    ("value", "count"), [(MaxUpdating(count=3), 3), (MaxUpdating(percent=25), 2), (MaxUpdating(percent=1), 1)]
)
def test_max_updating_rounds_a_percentage_down_but_allows_one(value: MaxUpdating, count: int) -> None:
    assert value.of(10) == count
    assert MaxUpdating(percent=100).of(7) == 7 and MaxUpdating(percent=50).of(0) == 1


@pytest.mark.parametrize("value", [0, -1, True, "0%", "101%", "5", "1.5%", 1.5, [1], "50%\n"])
def test_bad_max_updating_is_refused(value: object) -> None:
    with pytest.raises(SpecError, match="maxUpdating"):
        parse_max_updating(value, "spec.rollout.maxUpdating")


@pytest.mark.parametrize(
    ("rollout", "fragment"),
    [
        ("fast", "must be an object"),
        ({"steps": {}}, "steps must be a list"),
        ({"steps": [{}]}, "picks no unit"),
        ({"steps": ["a"]}, "steps[0] must be an object"),
        ({"steps": [{"units": "a"}]}, "units must be a list"),
        ({"steps": [{"units": ["bad value!"]}]}, "units must be a list"),
        ({"steps": [{"units": ["a"], "maxUpdate": 2}]}, "unknown field(s): maxUpdate"),
        ({"pause": True}, "unknown field(s): pause"),
        ({"steps": [{"units": ["a"], "name": "Canary"}]}, "DNS-1035"),
        ({"steps": [{"units": ["a"], "name": "x"}, {"units": ["b"], "name": "x"}]}, "used twice"),
        ({"steps": [{"units": ["a"], "name": REMAINING_STEP}]}, "reserved"),
        ({"steps": [{"nodeSelector": {"matchLabels": {"bad key!": "x"}}}]}, "nodeSelector"),
        ({"progressDeadlineSeconds": 0}, "progressDeadlineSeconds"),
        ({"progressDeadlineSeconds": "10m"}, "progressDeadlineSeconds"),
        ({"paused": "yes"}, "paused"),
    ],
)
def test_invalid_rollouts_name_the_field(rollout: object, fragment: str) -> None:
    with pytest.raises(SpecError) as err:
        parse_rollout(rollout, NODES)
    assert fragment in str(err.value)


def test_with_nodeunits_a_step_may_select_units_by_name_only() -> None:
    by_name = {"matchExpressions": [{"key": "site", "operator": "In", "values": ["a"]}]}
    spec = parse_rollout({"steps": [{"nodeSelector": by_name}]}, NODEUNITS)
    assert spec.steps[0].picks("a", [{"site": "a"}]) and not spec.steps[0].picks("b", [{"site": "b"}])
    with pytest.raises(SpecError, match="carry no node labels"):
        parse_rollout({"steps": [{"nodeSelector": {"matchLabels": {"ring": "canary"}}}]}, NODEUNITS)


def test_a_step_picks_by_name_or_by_any_node() -> None:
    step = parse_rollout({"steps": [{"units": ["a"], "nodeSelector": {"matchLabels": {"ring": "x"}}}]}, NODES).steps[0]
    assert step.picks("a", [])
    assert step.picks("b", [{"ring": "y"}, {"ring": "x"}])
    assert not step.picks("c", [{"ring": "y"}])
    named_only = parse_rollout({"steps": [{"units": ["a"]}]}, NODES).steps[0]
    assert not named_only.picks("b", [{"ring": "x"}])


def test_the_grid_revision_follows_the_fields_that_shape_children_only() -> None:
    spec = {"gridUniqKey": "site", "template": {"replicas": 1}}
    base = spec_revision(spec, "DeploymentGrid")
    # sha256 of the hand-written canonical JSON '{"kind":"DeploymentGrid","template":{"replicas":1}}'
    # (printf '%s' ... | sha256sum)
    canonical = b'{"kind":"DeploymentGrid","template":{"replicas":1}}'
    assert base == hashlib.sha256(canonical).hexdigest()[:16] == "98729af1bef5f5a8"
    for field, value in [
        ("template", {"replicas": 2}),
        ("templatePool", {"big": {}}),
        ("templates", {"a": "big"}),
        ("defaultTemplateName", "big"),
        ("overrides", [{"replicas": 3}]),
    ]:
        assert spec_revision({**spec, field: value}, "DeploymentGrid") != base, field
    for field, value in [("rollout", {"paused": True}), ("nodeSelector", {}), ("unitRemovalGracePeriodSeconds", 9)]:
        assert spec_revision({**spec, field: value}, "DeploymentGrid") == base, field
    assert spec_revision(spec, "StatefulSetGrid") != base  # one name per kind: their ControllerRevisions never clash
