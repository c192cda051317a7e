"""kept_child on reduced children (hooks.protocol.partial): decoded in full only when it must be."""

import json

import pytest

from hooks.grids.children import METACONTROLLER_LAST_APPLIED, RECORD_FIELDS, kept_child
from hooks.protocol.partial import ANY, TEXT, Partial, field_paths

RECORDED = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web-a"}, "spec": {"replicas": 2}}


def live(replicas: int = 2, record: object = RECORDED) -> dict:
    """The object as the API server has it: defaults, status, server metadata and (maybe) the record."""
    meta = {"name": "web-a", "uid": "u-1", "resourceVersion": "7", "annotations": {"other": "x"}}
    if record is not None:
        meta["annotations"][METACONTROLLER_LAST_APPLIED] = json.dumps(record)
    spec = {"replicas": replicas, "progressDeadlineSeconds": 600}
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": meta, "spec": spec, "status": {"replicas": 2}}


def reduce(obj: object, shape: dict) -> object:
    """``obj`` as the reduced decode gives it for ``shape`` (plain nested dicts of TEXT and ANY fields)."""
    if shape in (TEXT, ANY):
        return obj
    return {k: reduce(obj[k], sub) for k, sub in shape.items() if isinstance(obj, dict) and k in obj}


def reduced(obj: dict, shape: dict, may_decode: bool) -> Partial:
    def load_whole() -> dict:
        assert may_decode, "decoded in full"
        return obj

    return Partial(reduce(obj, shape), load_whole, field_paths(shape))


@pytest.mark.parametrize("replicas", [2, 7])
def test_a_child_holding_its_record_is_kept_without_a_full_decode(replicas):
    obj = live(replicas)
    assert kept_child(reduced(obj, RECORD_FIELDS, may_decode=False)) == kept_child(obj)
    assert kept_child(obj)["spec"]["replicas"] == replicas  # someone else's scale is sent as observed


@pytest.mark.parametrize(
    "record",
    [
        None,  # no record: the live object, minus what the server owns
        {**RECORDED, "metadata": {"name": "web-b"}},  # the record of another object
        "not an object",
    ],
)
def test_without_a_usable_record_the_child_is_decoded_in_full(record):
    obj = live(record=record)
    kept = kept_child(reduced(obj, RECORD_FIELDS, may_decode=True))
    assert kept == kept_child(obj) and kept["spec"]["progressDeadlineSeconds"] == 600


def test_a_child_reduced_to_less_than_the_record_fields_is_decoded_in_full():
    shape = {"metadata": {"name": TEXT, "annotations": {METACONTROLLER_LAST_APPLIED: TEXT}}}  # no spec.replicas
    obj = live(7)
    assert kept_child(reduced(obj, shape, may_decode=True)) == kept_child(obj)
    with pytest.raises(AssertionError, match="decoded in full"):
        kept_child(reduced(obj, shape, may_decode=False))
