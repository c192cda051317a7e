"""Unit tests of the node zone decorator as a pure function."""

import pytest

from hooks.kube.errors import RequestError
from hooks.sites import node_zone
from hooks.sites.node_zone import CONFLICT_ANNOTATION as CONFLICT
from hooks.sites.node_zone import ZONE_LABEL as ZONE
from hooks.sites.node_zone import ZONE_SET_ANNOTATION as SET
from tests.support.service_builders import zone_request


def answer(labels=None, annotations=None, key="site", **extra):
    req = zone_request(labels, annotations, key)
    req.update(extra)
    return node_zone.sync(req)


def apply(labels, annotations, response):
    """What Metacontroller does with the answer: set keys, remove the ones given as null."""
    out = []
    for current, changes in ((dict(labels), response["labels"]), (dict(annotations), response["annotations"])):
        for k, v in changes.items():
            if v is None:
                current.pop(k, None)
            else:
                current[k] = v
        out.append(current)
    return out


def test_sets_zone_from_unit_and_records_it():
    result = answer({"site": "shanghai-01"})
    assert result.response == {"labels": {ZONE: "shanghai-01"}, "annotations": {SET: "shanghai-01"}}
    assert result.warnings == ()


def test_answer_keys_are_only_labels_and_annotations():
    assert set(answer({"site": "a"}).response) == {"labels", "annotations"}


def test_node_already_in_line_gets_no_change():
    assert answer({"site": "a", ZONE: "a"}, {SET: "a"}).response == {"labels": {}, "annotations": {}}


def test_unit_change_moves_our_zone():
    result = answer({"site": "b", ZONE: "a"}, {SET: "a"})
    assert result.response == {"labels": {ZONE: "b"}, "annotations": {SET: "b"}}


def test_unit_label_removed_removes_our_zone_and_record():
    result = answer({ZONE: "a"}, {SET: "a"})
    assert result.response == {"labels": {ZONE: None}, "annotations": {SET: None}}


def test_empty_unit_value_counts_as_no_unit():
    assert answer({"site": "", ZONE: "a"}, {SET: "a"}).response["labels"] == {ZONE: None}


def test_node_without_the_key_is_left_alone():
    assert answer({"other": "x"}).response == {"labels": {}, "annotations": {}}
    assert answer({"other": "x", ZONE: "eu-1"}).response == {"labels": {}, "annotations": {}}


class TestForeignZone:
    def test_foreign_zone_is_never_overwritten_and_conflict_is_reported(self):
        result = answer({"site": "a", ZONE: "eu-west-1a"})
        assert result.response["labels"] == {}
        message = result.response["annotations"][CONFLICT]
        assert "eu-west-1a" in message and "site=a" in message
        assert SET not in result.response["annotations"]

    def test_foreign_zone_is_never_removed(self):
        assert answer({ZONE: "eu-west-1a"}, {CONFLICT: "old"}).response == {
            "labels": {},
            "annotations": {CONFLICT: None},
        }

    def test_zone_changed_by_someone_else_is_no_longer_ours(self):
        result = answer({"site": "a", ZONE: "manual"}, {SET: "a"})
        assert result.response["labels"] == {}
        assert result.response["annotations"][SET] is None and CONFLICT in result.response["annotations"]
        gone = answer({ZONE: "manual"}, {SET: "a"})
        assert gone.response == {"labels": {}, "annotations": {SET: None}}

    def test_foreign_zone_equal_to_unit_is_fine_but_not_claimed(self):
        result = answer({"site": "a", ZONE: "a"}, {CONFLICT: "stale"})
        assert result.response == {"labels": {}, "annotations": {CONFLICT: None}}
        assert answer({ZONE: "a"}).response == {"labels": {}, "annotations": {}}

    def test_conflict_resolves_once_the_foreign_label_goes(self):
        result = answer({"site": "a"}, {CONFLICT: "old"})
        assert result.response == {"labels": {ZONE: "a"}, "annotations": {SET: "a", CONFLICT: None}}


def test_converges_in_one_step_and_then_is_stable():
    labels, annotations = {"site": "a"}, {}
    for unit in ("a", "b", None):
        if unit:
            labels["site"] = unit
        else:
            labels.pop("site")
        labels, annotations = apply(labels, annotations, answer(labels, annotations).response)
        assert answer(labels, annotations).response == {"labels": {}, "annotations": {}}
        assert labels.get(ZONE) == unit and annotations.get(SET) == unit


class TestControllerAnnotation:
    def test_missing_annotation_changes_nothing_and_warns(self):
        result = answer({"site": "a", ZONE: "a"}, {SET: "a"}, key=None)
        assert result.response == {"labels": {}, "annotations": {}}
        assert len(result.warnings) == 1
        assert "superedge.io/unit-label-key" in result.warnings[0] and "edge-1" in result.warnings[0]

    @pytest.mark.parametrize("key", ["", "bad key", 7])
    def test_invalid_annotation_changes_nothing_and_warns(self, key):
        result = answer({"site": "a"}, key=key)
        assert result.response == {"labels": {}, "annotations": {}} and result.warnings

    def test_prefixed_source_key(self):
        result = answer({"edge.example.com/site": "a"}, key="edge.example.com/site")
        assert result.response["labels"] == {ZONE: "a"}

    def test_controller_without_metadata_is_a_missing_annotation(self):
        req = zone_request({"site": "a"})
        req["controller"] = {}
        assert node_zone.sync(req).warnings


def test_finalize_removes_our_zone_and_says_finalized():
    result = answer({"site": "a", ZONE: "a"}, {SET: "a"}, finalizing=True)
    assert result.response == {"labels": {ZONE: None}, "annotations": {SET: None}, "finalized": True}


def test_v1_request_shape_is_accepted():
    req = zone_request({"site": "a"})
    req["object"] = req.pop("parent")
    assert node_zone.sync(req).response["labels"] == {ZONE: "a"}


@pytest.mark.parametrize(
    "mutate",
    [
        lambda r: r.pop("controller"),
        lambda r: r.update(controller="x"),
        lambda r: r.pop("parent"),
        lambda r: r["parent"].update(metadata={}),
        lambda r: r["parent"]["metadata"].update(labels=["site"]),
    ],
)
def test_malformed_requests_raise_request_error(mutate):
    req = zone_request({"site": "a"})
    mutate(req)
    with pytest.raises(RequestError):
        node_zone.sync(req)
