"""Sizes as the API server counts them: JSON as Go's encoding/json writes it, annotations in UTF-8 bytes."""

from hooks.kube.sizes import ANNOTATIONS_LIMIT, ETCD_REQUEST_LIMIT, annotations_size, encoded_size, json_size


def test_json_size_counts_what_go_writes():
    # encoding/json.Marshal(map[string]any{"a": "<b>&c", "d": "\u2028é"}) writes these bytes:
    go = b'{"a":"\\u003cb\\u003e\\u0026c","d":"\\u2028\xc3\xa9"}'
    assert json_size({"a": "<b>&c", "d": "\u2028é"}) == len(go) == 43


def test_plain_json_is_its_own_length():
    assert json_size({"spec": {"replicas": 3, "paused": False}}) == len('{"spec":{"replicas":3,"paused":false}}')
    assert encoded_size(b'"x"') == 3


def test_annotations_are_counted_in_bytes_keys_and_values():
    assert annotations_size({"a": "é", "bb": ""}) == 1 + 2 + 2
    assert annotations_size({"ignored": 5}) == 0


def test_the_kubernetes_limits():
    assert ANNOTATIONS_LIMIT == 256 * 1024 and ETCD_REQUEST_LIMIT == 3 * 512 * 1024
