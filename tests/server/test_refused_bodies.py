"""Bodies the reference path would refuse are refused (400) without a full decode, and full decodes are bounded.

A full decode of JSON made of small objects holds tens of times the body in memory (30 MB of ``[{},{},...]``
took a worker near 1 GB before its 400), so these tests make any full decode of the body fail loudly.
"""

from __future__ import annotations

import orjson
import pytest

from hooks.protocol import codec
from hooks.server import fast_decode
from hooks.server.app import hook_table
from hooks.server.fast_decode import BodyRefused, decoder_for, full_decode
from hooks.server.route_reads import route_reads
from tests.server.test_fast_decode import assert_same_answer, realistic_body
from tests.support.builders import grid, node, post, sync_request

SYNC = "/deploymentgrid/sync"
NOT_OBJECTS = [b"[{},{},{}]", b' \n\t["x"]', b'"text"', b"5", b"null", b"", b"   ", b"\xef\xbb\xbf{}", b"]"]


@pytest.fixture
def no_full_decode(monkeypatch):
    """Any call of the reference decoder on something as large as the body fails the test."""
    real = codec.loads
    state = {"body": b""}

    def guarded(data):
        if len(data) >= len(state["body"]) > 0:
            raise AssertionError("the whole body was decoded in full")
        return real(data)

    monkeypatch.setattr(fast_decode.codec, "loads", guarded)
    return state


def sync_body(**changes) -> bytes:
    request = sync_request(grid(), {"n": node("n", {"site": "a"})})
    request.update(changes)
    return orjson.dumps(request)


@pytest.mark.parametrize("route", sorted(hook_table()))
@pytest.mark.parametrize("body", NOT_OBJECTS)
def test_a_body_that_is_not_an_object_is_refused_by_its_first_byte(no_full_decode, route, body):
    no_full_decode["body"] = body
    with pytest.raises(BodyRefused, match="must be a JSON object"):
        decoder_for(route_reads().get(route))(body)


WRONG_SHAPES = {
    "children not an object": {"children": []},
    "children null": {"children": None},
    "a children entry not an object": {"children": {"Deployment.apps/v1": [{}, {}]}},
    "related not an object": {"related": "x"},
    "a related entry not an object": {"related": {"Node.v1": [{"metadata": {"name": "n"}}]}},
}


@pytest.mark.parametrize("changes", WRONG_SHAPES.values(), ids=WRONG_SHAPES.keys())
def test_a_sync_request_of_the_wrong_shape_is_refused_without_a_full_decode(no_full_decode, changes):
    body = sync_body(**changes)
    no_full_decode["body"] = body
    with pytest.raises(BodyRefused, match="shape of a sync request"):
        decoder_for(route_reads()[SYNC])(body)


@pytest.mark.parametrize("changes", WRONG_SHAPES.values(), ids=WRONG_SHAPES.keys())
def test_the_reference_path_refuses_those_shapes_too(changes):
    assert assert_same_answer(SYNC, sync_body(**changes))[0] == "4xx"


@pytest.mark.parametrize("parent", [[{}, {}], "web", None])
def test_a_parent_that_is_not_an_object_is_refused_without_decoding_it(no_full_decode, parent):
    body = sync_body(parent=parent)
    no_full_decode["body"] = body
    with pytest.raises(BodyRefused, match=r"request\.parent must be a JSON object"):
        decoder_for(route_reads()[SYNC])(body)


@pytest.mark.parametrize("parent", [[{}, {}], "web", None])
def test_the_reference_path_refuses_such_a_parent_too(parent):
    assert assert_same_answer(SYNC, sync_body(parent=parent))[0] == "4xx"


@pytest.mark.parametrize("key", ["parent", "controller"])
def test_a_parent_or_controller_larger_than_any_kubernetes_object_is_refused(monkeypatch, key):
    monkeypatch.setattr(fast_decode, "FULL_DECODE_MAX_BYTES", 1000)
    obj = grid()
    obj["metadata"]["annotations"] = {"x": "y" * 1000}
    with pytest.raises(BodyRefused, match=rf"request\.{key} of \d+ bytes"):
        decoder_for(route_reads()[SYNC])(sync_body(**{key: obj}))


@pytest.mark.parametrize(
    "changes",
    [
        {"related": {"Node.v1": {}, "Secret.v1": 5}},  # a type the route did not declare
        {"related": {"Node.v1": {"n": "not an object"}}},
        {"children": {"Deployment.apps/v1": {"shop/x": 5}}},
    ],
)
def test_odd_content_in_the_right_shape_is_not_refused_but_decoded_in_full(changes, caplog):
    caplog.set_level("INFO", logger="hooks.fast_decode")
    body = sync_body(**changes)
    assert decoder_for(route_reads()[SYNC])(body) == orjson.loads(body)
    assert "decoded in full" in caplog.text


def test_other_top_level_keys_are_skipped_on_the_reduced_path():
    body = realistic_body(10)
    with_extra = body[:-1] + b',"attachments":{"ConfigMap.v1":{"a":[{},{},{}]}},"someday":[1,2]}'
    decoded = decoder_for(route_reads()[SYNC])(with_extra)
    assert set(decoded) == {"controller", "parent", "children", "related", "finalizing"}
    assert assert_same_answer(SYNC, with_extra) == assert_same_answer(SYNC, body)


def test_full_decodes_are_bounded(monkeypatch, caplog):
    """A request that does not fit the plan (a label that is not a string) is decoded in full up to the bound."""
    odd = orjson.dumps(sync_request(grid(), {"n": node("n", {"site": 5})}))
    decode = decoder_for(route_reads()[SYNC])
    monkeypatch.setattr(fast_decode, "FULL_DECODE_MAX_BYTES", len(odd))
    caplog.set_level("INFO", logger="hooks.fast_decode")
    assert decode(odd) == orjson.loads(odd) and "decoded in full" in caplog.text
    monkeypatch.setattr(fast_decode, "FULL_DECODE_MAX_BYTES", len(odd) - 1)
    with pytest.raises(BodyRefused, match=f"request body of {len(odd)} bytes"):
        decode(odd)
    with pytest.raises(BodyRefused, match=f"request body of {len(odd)} bytes"):
        full_decode(odd)


def test_malformed_json_is_still_answered_by_the_reference_decoder():
    body = sync_body()[:-5]
    with pytest.raises(codec.RequestError, match="not valid JSON") as refused:
        decoder_for(route_reads()[SYNC])(body)
    assert not isinstance(refused.value, BodyRefused)


@pytest.mark.parametrize("route", [SYNC, "/deploymentgrid/customize", "/nodezone/sync"])
def test_over_http_a_list_of_objects_gets_400(client, route):
    resp = client.post(route, data=b"[" + b"{}," * 10_000 + b"{}]", content_type="application/json")
    assert resp.status_code == 400 and resp.get_json() == {"error": "request body must be a JSON object"}


def test_over_http_a_wrong_shape_gets_400(client):
    resp = post(client, SYNC, sync_request(grid(), {}) | {"children": {"Deployment.apps/v1": [{}] * 1000}})
    assert resp.status_code == 400 and "shape of a sync request" in resp.get_json()["error"]
