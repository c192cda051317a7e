"""The reduced decode (hooks.server.fast_decode) must answer exactly as a full decode would.

The reference path is ``codec.loads`` of the whole body, then the same hook, then ``codec.dumps``.
For random requests -- well-formed, odd (nodes and children of the wrong type, big integers, missing
fields, broken last-applied annotations) and malformed bytes -- both paths must give the same
response bytes, or the same 4xx error.
"""

import contextlib
import io
import json
import random

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bench.fleet import steady_state_request
from bench.rollout import mid_rollout_request
from hooks.grids.autoscaling import HPA_TYPE
from hooks.grids.cronjob import CRONJOB
from hooks.grids.daemonset import DAEMONSET
from hooks.grids.grace import MISSING_SINCE
from hooks.grids.history import CR_TYPE
from hooks.grids.rollout import SINCE_ANNOTATION
from hooks.grids.workload import DEPLOYMENT, STATEFULSET
from hooks.kube.errors import RequestError
from hooks.protocol import codec
from hooks.protocol.partial import ANY, TEXT, LazyItems, Only, Partial, RequestReads, whole
from hooks.server.app import create_app, hook_table
from hooks.server.body import READ_CHUNK, Deadline, read_exactly
from hooks.server.fast_decode import BodyRefused, decoder_for, full_decode
from hooks.server.route_reads import route_reads
from tests.conftest import schema_check_paused
from tests.support.autoscaling_builders import autoscaling, live_hpa
from tests.support.builders import NOW, children_map, deployment_spec, grid, node, observed, sync_request
from tests.support.kind_builders import (
    configmap_grid,
    cronjob_spec,
    daemonset_spec,
    live_child,
    observed_configmap,
    observed_daemonset,
    with_configs,
)
from tests.support.nodegroup_builders import fleet, ng_request, node_group
from tests.support.nodegroup_builders import workload_grid as ng_workload_grid
from tests.support.service_builders import observed_service, service_spec

# route -> (grid kind, child type, template, how the cluster shows a child)
SYNC_ROUTES = {
    "/deploymentgrid/sync": ("DeploymentGrid", DEPLOYMENT.child_type, deployment_spec, observed),
    "/statefulsetgrid/sync": ("StatefulSetGrid", STATEFULSET.child_type, deployment_spec, observed),
    "/daemonsetgrid/sync": (
        "DaemonSetGrid",
        DAEMONSET.child_type,
        daemonset_spec,
        lambda child, ready: observed_daemonset(child, ready=ready),
    ),
    "/cronjobgrid/sync": ("CronJobGrid", CRONJOB.child_type, cronjob_spec, live_child),
    "/configmapgrid/sync": ("ConfigMapGrid", "ConfigMap.v1", dict, lambda child, ready: observed_configmap(child)),
    "/servicegrid/sync": ("ServiceGrid", "Service.v1", service_spec, lambda child, ready: observed_service(child)),
}
SCALABLE = ("DeploymentGrid", "StatefulSetGrid")
"""Kinds with replicas, which may be autoscaled (their routes read HPAs)."""
BIG = "__BIG_INT__"  # replaced in the body by an integer beyond 64 bits (orjson reads it as a float)
ODD_NODES = [
    "not an object",
    None,
    {},
    {"metadata": "nonsense"},
    {"metadata": {"name": 7, "labels": {"site": "a"}}},
    {"metadata": {"name": "odd-1", "labels": {"site": 1}}},
    {"metadata": {"name": "odd-2", "labels": None}},
    {"metadata": {"labels": {"site": "b"}}},
]
ODD_CHILDREN = ["x", None, {"metadata": {}}, {"metadata": {"name": 3}}, {"metadata": {"name": "web-zz"}}]


REFUSED = None  # the message of a request refused before a full decode: not compared with the reference's


def outcome(decode, route, body):
    """What the server would answer: ("200", bytes), ("4xx", message) or ("5xx", the exception and its text)."""
    try:
        return ("200", codec.dumps(hook_table()[route](decode(body), NOW)))
    except BodyRefused:
        return ("4xx", REFUSED)
    except RequestError as err:
        return ("4xx", str(err))
    except Exception as err:
        return ("5xx", f"{type(err).__name__}: {err}")


def assert_same_answer(route, body):
    """Both paths give the same answer, and it is an answer: a bug (500) on both is no agreement. A request the
    reduced decoder refuses before any full decode (its shape, its bytes) must be refused by the reference path
    too, with whatever message."""
    fast = outcome(decoder_for(route_reads()[route]), route, body)
    full = outcome(codec.loads, route, body)
    assert "5xx" not in (fast[0], full[0]), f"server error: reduced decode {fast}, full decode {full}"
    if fast == ("4xx", REFUSED):
        assert full[0] == "4xx", full
    else:
        assert fast == full
    return fast


def mutate_child(child, draw):
    """An observed child with random differences from the well-behaved one; False if it leaves the shape."""
    meta = child["metadata"]
    choices = ["none", "applied", "bad-applied", "no-status", "big", "odd-gen", "odd-spec", "marked", "odd-mark"]
    choice = draw(st.sampled_from([*choices, "since", "odd-since"]))
    if choice in ("since", "odd-since"):  # a rollout's record of when the unit started moving
        mark = "2025-12-31T23:59:00Z" if choice == "since" else draw(st.sampled_from(["later", 5]))
        meta.setdefault("annotations", {})[SINCE_ANNOTATION] = mark
        return isinstance(mark, str)
    if choice in ("marked", "odd-mark"):  # the grace period's record (hooks.grids.grace)
        mark = "2025-12-31T23:59:30Z" if choice == "marked" else draw(st.sampled_from(["soon", 5]))
        meta.setdefault("annotations", {})[MISSING_SINCE] = mark
        return isinstance(mark, str)
    if choice == "applied":
        meta.setdefault("annotations", {})["metacontroller.k8s.io/last-applied-configuration"] = json.dumps(child)
    elif choice == "bad-applied":
        meta.setdefault("annotations", {})["metacontroller.k8s.io/last-applied-configuration"] = "{"
    elif choice == "no-status":
        child.pop("status", None)
    elif choice == "big":
        child.setdefault("status", {})["readyReplicas"] = BIG
        meta["generation"] = BIG
    elif choice == "odd-gen":
        meta["generation"] = "3"
    elif choice == "odd-spec":
        child["spec"] = draw(st.sampled_from([None, "x", {"replicas": None}, {"replicas": True}]))
        return isinstance(child["spec"], dict)
    return True


@st.composite
def sync_requests(draw):
    route = draw(st.sampled_from(sorted(SYNC_ROUTES)))
    kind_name, child_type, template, live = SYNC_ROUTES[route]
    units = draw(st.lists(st.sampled_from(["a", "b", "c", "Dd", "e_1", "x" * 70]), unique=True, max_size=4))
    nodes = {f"{u}-{i}": node(f"{u}-{i}", {"site": u, "kubernetes.io/os": "linux"}) for u in units for i in (0, 1)}
    health_fits = True
    for one in nodes.values():  # a rollout reads the Ready condition (hooks.sites.readiness)
        ready = draw(st.sampled_from([None, "True", "False", "Unknown"]))
        since = draw(st.sampled_from(["2025-12-31T23:00:00Z", "2025-12-31T23:59:50Z", "garbled", 7]))
        if ready is not None:
            cond = {"type": "Ready", "status": ready, "lastTransitionTime": since, "lastHeartbeatTime": NOW}
            one["status"] = {"conditions": [{"type": "DiskPressure", "status": "False"}, cond]}
            health_fits = health_fits and isinstance(since, str)
    odd_nodes = draw(st.lists(st.sampled_from(ODD_NODES), max_size=2))
    for i, odd in enumerate(odd_nodes):
        nodes[f"odd-{i}"] = odd
    spec = {"gridUniqKey": "site", "template": template()}
    configs = route == "/deploymentgrid/sync" and draw(st.booleans())
    if configs:  # a ConfigMapGrid named in the pod: the related ConfigMaps are read (hooks.grids.config_refs)
        spec["template"]["template"]["spec"]["containers"][0]["envFrom"] = [{"configMapRef": {"name": "conf"}}]
    if draw(st.booleans()):
        spec["templates"] = {"a": "missing-from-pool"}  # fails unit "a" only: its child is kept
    if draw(st.booleans()):
        spec["unitRemovalGracePeriodSeconds"] = 60  # vanished units below keep their children a while
    rollout = kind_name not in ("ServiceGrid", "ConfigMapGrid") and draw(st.booleans())
    if rollout:  # steps by name and by node labels; a 30 s deadline, so a "since" mark below is overdue
        steps = [{"units": ["b"]}, {"nodeSelector": {"matchLabels": {"kubernetes.io/os": "linux"}}, "maxUpdating": 1}]
        spec["rollout"] = {"steps": steps, "progressDeadlineSeconds": 30, "maxUpdating": "50%"}
    if kind_name in SCALABLE and draw(st.booleans()):  # autoscaled units: HPAs, replicas left to them
        spec["autoscaling"] = autoscaling()
        spec["overrides"] = [{"units": ["b"], "autoscaling": {"mode": draw(st.sampled_from(["External", "Disabled"]))}}]
    parent = grid(kind_name, **spec)
    declared = kind_name not in ("ServiceGrid", "ConfigMapGrid") and draw(st.booleans())  # keeps a history
    first = sync_request(parent, nodes, child_type=child_type)
    if declared:
        first["children"][CR_TYPE] = {}
    rendered = hook_table()[route](first, NOW)["children"]
    records = {f"shop/{c['metadata']['name']}": c for c in rendered if c["kind"] == "ControllerRevision"}
    hpas = [c for c in rendered if c["kind"] == "HorizontalPodAutoscaler"]
    rendered = [c for c in rendered if c["kind"] not in ("HorizontalPodAutoscaler", "ControllerRevision")]
    if rollout and draw(st.booleans()):
        parent["spec"]["template"] = deployment_spec(image="nginx:1.28")  # a new revision: units move in steps
    lives = [live(c, ready=draw(st.booleans())) for c in rendered if draw(st.booleans())]
    fits = all([mutate_child(child, draw) for child in lives]) and not odd_nodes and health_fits
    kids = children_map(lives)
    for gone in draw(st.lists(st.sampled_from(units), unique=True, max_size=2)) if units else ():
        nodes = {name: n for name, n in nodes.items() if not name.startswith(f"{gone}-")}
    odd_children = draw(st.lists(st.sampled_from(ODD_CHILDREN), max_size=2))
    for i, odd in enumerate(odd_children):
        kids[f"shop/odd-{i}"] = odd
    if draw(st.booleans()):
        parent["spec"]["gridUniqKey"] = draw(st.sampled_from(["bad key", ""]))  # invalid: every child kept
    req = sync_request(parent, nodes, kids, child_type=child_type)
    if configs:
        cms = [config_map(u, draw) for u in units if draw(st.booleans())]
        req = with_configs(req, [configmap_grid("conf")], cms)
    if declared:
        req["children"][CR_TYPE] = {
            k: {**r, "revision": draw(st.sampled_from([1, 2, BIG]))} for k, r in records.items()
        }
    if kind_name in SCALABLE:
        statuses = st.sampled_from([("True", "True"), ("True", "False"), ("False", "True")])
        seen = [live_hpa(h, 2, 3, *draw(statuses)) for h in hpas if draw(st.booleans())]
        if seen and draw(st.booleans()):
            seen[0]["status"] = draw(st.sampled_from([None, "x", {"conditions": "x"}, {"conditions": [None, {}]}]))
        req["children"][HPA_TYPE] = children_map(seen)
    extra = draw(st.sampled_from(["none", "no-nodes", "other-related", "other-children", "bad-map", "top-key"]))
    fits = fits and not odd_children and extra in ("none", "no-nodes")
    if extra == "top-key":
        req["attachments"] = {}
    elif extra == "no-nodes":
        del req["related"]["Node.v1"]
    elif extra == "other-related":
        req["related"]["Secret.v1"] = {"shop/c": {"data": {"k": BIG}}}  # a type no route declares
    elif extra == "other-children":
        req["children"]["Service.v1"] = {"shop/s": {"metadata": {"name": "s"}}}
    elif extra == "bad-map":
        req["children"][child_type] = draw(st.sampled_from([None, [], "x"]))
    body = orjson.dumps(req).replace(f'"{BIG}"'.encode(), b"123456789012345678901234567890")
    return route, body, fits


def config_map(unit: str, draw) -> dict:
    """A ConfigMapGrid's ConfigMap for ``unit``: data of any JSON (the hook hashes what it finds)."""
    data = draw(st.sampled_from([{"k": "v"}, {"k": BIG}, {}, None, {"n": 1.5}]))
    labels = {"superedge.io/configmap-grid": "conf", "site": unit}
    meta = {"name": f"conf-{unit}", "namespace": "shop", "labels": labels}
    meta["annotations"] = {"superedge.io/grid-uniq-key": "site", "other": "x"}
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta, "data": data}


def reduced_objects(request):
    """Whether the decoded request's Nodes and children are reduced (None when it has neither)."""
    objects = [*request["related"].get("Node.v1", {}).values()]
    for key, group in request["children"].items():
        if key != CR_TYPE:  # declared ANY: decoded whole
            objects.extend(group.values())
    return all(isinstance(o, Partial) for o in objects) if objects else None


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(sync_requests())
def test_reduced_decode_answers_like_a_full_decode(case):
    route, body, fits = case
    with contextlib.nullcontext() if fits else schema_check_paused():  # an odd child may go back odd
        assert_same_answer(route, body)
    if fits:  # a request that fits the declared shapes must not fall back to the full decode
        assert reduced_objects(decoder_for(route_reads()[route])(body)) in (True, None)


MUTATIONS = [b"\xff", b"\xc3", b"\xed\xa0\x80", b"{", b"]", b",", b'"', b"\\", b"\x01", b"1e5", b"-"]


@settings(max_examples=120, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@pytest.mark.usefixtures("without_schema_check")  # mutated bytes: junk in may give junk out, never a 5xx
@given(sync_requests(), st.randoms(use_true_random=False), st.sampled_from(["insert", "replace", "truncate"]))
def test_malformed_bytes_get_the_same_error(case, rng, how):
    route, body, _ = case
    pos = rng.randrange(len(body))
    junk = rng.choice(MUTATIONS)
    if how == "truncate":
        body = body[:pos]
    elif how == "insert":
        body = body[:pos] + junk + body[pos:]
    else:
        body = body[:pos] + junk + body[pos + 1 :]
    assert_same_answer(route, body)


def realistic_body(nodes=40):
    return orjson.dumps(steady_state_request(nodes, hook_table()["/deploymentgrid/sync"]))


def test_realistic_request_takes_the_reduced_path_and_matches():
    body = realistic_body()
    request = decoder_for(route_reads()["/deploymentgrid/sync"])(body)
    some_node = next(iter(request["related"]["Node.v1"].values()))
    some_child = next(iter(request["children"]["Deployment.apps/v1"].values()))
    assert isinstance(some_node, Partial) and set(some_node) == {"metadata", "status"}
    assert set(some_node["metadata"]) == {"name", "labels"}
    [ready] = some_node["status"]["conditions"]  # of its five conditions, only Ready is decoded
    assert ready["type"] == "Ready" and set(ready) == {"type", "status", "lastTransitionTime"}
    assert isinstance(some_child, Partial) and set(some_child) == {"apiVersion", "kind", "metadata", "spec", "status"}
    assert (
        whole(some_child)
        == orjson.loads(body)["children"]["Deployment.apps/v1"][f"retail/{some_child['metadata']['name']}"]
    )
    assert assert_same_answer("/deploymentgrid/sync", body)[0] == "200"


def test_kept_children_are_sent_whole_when_the_spec_breaks():
    body = json.loads(realistic_body(10))
    body["parent"]["spec"]["gridUniqKey"] = "not a key"
    status, answer = assert_same_answer("/deploymentgrid/sync", orjson.dumps(body))
    kept = orjson.loads(answer)["children"]
    workloads = [c for c in kept if c["kind"] == "Deployment"]
    assert (
        status == "200" and len(workloads) == 2 and all(c["spec"]["template"]["spec"]["containers"] for c in workloads)
    )
    assert [c["kind"] for c in kept].count("ControllerRevision") == 1  # the revision history is kept too


def test_odd_requests_fall_back_to_the_full_decode_and_say_why(caplog):
    req = sync_request(grid(), {"n": node("n", {"site": 5})})
    caplog.set_level("INFO", logger="hooks.fast_decode")
    decoded = decoder_for(route_reads()["/deploymentgrid/sync"])(orjson.dumps(req))
    assert reduced_objects(decoded) is False and decoded == req
    assert "decoded in full" in caplog.text and "Node.v1" in caplog.text


def test_a_failing_reduced_decode_falls_back_to_the_full_decode(monkeypatch, caplog):
    from hooks.server import fast_decode

    def broken(self, body):
        raise TypeError("bug")

    monkeypatch.setattr(fast_decode._Plan, "decode", broken)
    req = sync_request(grid(), {"n": node("n", {"site": "a"})})
    assert decoder_for(route_reads()["/deploymentgrid/sync"])(orjson.dumps(req)) == req
    assert "reduced decode failed" in caplog.text


def test_routes_without_declared_reads_decode_in_full():
    assert decoder_for(None) is full_decode
    assert decoder_for(RequestReads()) is full_decode
    body = b' {"a": [1, {"b": 12345678901234567890123}]}'
    assert full_decode(body) == codec.loads(body)


def test_declared_routes_exist():
    assert set(route_reads()) <= set(hook_table())


def test_shapes_reduce_only_declared_fields():
    reads = RequestReads(children={"T": {"metadata": {"name": TEXT}, "status": ANY}}, related={"W": ANY})
    body = b"""{"children": {"T": {"x/y": {"metadata": {"name": "y", "uid": "u"}, "spec": 1, "status": {"n": 2}}}},
        "related": {"W": {"w": {"kind": "Whole", "big": 123456789012345678901234567890}}}}"""
    request = decoder_for(reads)(body)
    child = request["children"]["T"]["x/y"]
    assert child == {"metadata": {"name": "y"}, "status": {"n": 2}} and isinstance(child, Partial)
    assert child.whole() == orjson.loads(body)["children"]["T"]["x/y"]
    assert request["related"] == orjson.loads(body)["related"]


def test_only_shapes_keep_the_matching_items_and_odd_items_take_the_full_decode():
    shape = {"status": {"conditions": Only("type", "Ready", {"type": TEXT, "status": TEXT})}}
    reads = RequestReads(related={"N": shape})
    body = b"""{"related": {"N": {"n": {"status": {"conditions": [{"type": "Disk", "status": "False", "x": 1},
        {"type": "Ready", "status": "True", "lastHeartbeatTime": "t"}, {"status": "True"}]}}}}}"""
    node = decoder_for(reads)(body)["related"]["N"]["n"]
    assert node == {"status": {"conditions": [{"type": "Ready", "status": "True"}]}} and isinstance(node, Partial)
    for odd in (b'[{"type": 5}]', b"[7]", b'[{"type": "Ready", "status": true}]', b'{"type": "Ready"}'):
        request = body.replace(body[body.index(b"[") : body.rindex(b"]") + 1], odd)
        assert decoder_for(reads)(request) == orjson.loads(request)  # not the declared shape: decoded in full


def test_list_shapes_reduce_each_item():
    conditions = {"status": {"conditions": [{"type": TEXT, "status": TEXT}]}}
    body = b"""{"related": {"Node.v1": {"n": {"status": {"conditions": [
        {"type": "Ready", "status": "True", "reason": "KubeletReady"}, {"type": "DiskPressure"}]}}}}}"""
    node = decoder_for(RequestReads(related={"Node.v1": conditions}))(body)["related"]["Node.v1"]["n"]
    assert node == {"status": {"conditions": [{"type": "Ready", "status": "True"}, {"type": "DiskPressure"}]}}
    with pytest.raises(ValueError):
        decoder_for(RequestReads(related={"Node.v1": {"status": {"conditions": [{"type": ANY}]}}}))


def test_a_reduced_object_is_never_encoded():
    with pytest.raises(TypeError):
        codec.dumps({"children": [Partial({"metadata": {"name": "y"}})]})
    with pytest.raises(TypeError):
        Partial({}).whole()


def test_body_without_content_length_is_still_read():
    client = create_app(clock=lambda: NOW, max_bytes=1 << 20).test_client()
    body = orjson.dumps(sync_request(grid(), {"n": node("n", {"site": "a"})}))
    resp = client.post(
        "/deploymentgrid/sync",
        input_stream=io.BytesIO(body),
        content_type="application/json",
        headers={"Transfer-Encoding": "chunked"},
        environ_overrides={"wsgi.input_terminated": True},
    )
    assert resp.status_code == 200
    assert [c["metadata"]["name"] for c in resp.get_json()["children"]] == ["web-a"]


def test_non_utf8_body_is_4xx_like_the_reference():
    body = realistic_body(5)
    pos = random.Random(1).randrange(len(body) // 2, len(body))  # inside the Nodes: bytes nobody reads
    status, _ = assert_same_answer("/deploymentgrid/sync", body[:pos] + b"\xff" + body[pos:])
    assert status == "4xx"


def test_large_body_is_read_in_chunks_into_one_buffer():
    body = realistic_body(300)
    assert len(body) > 2 * READ_CHUNK
    client = create_app(clock=lambda: NOW, max_bytes=len(body)).test_client()
    resp = client.post("/deploymentgrid/sync", data=body, content_type="application/json")
    assert resp.status_code == 200 and resp.data == outcome(codec.loads, "/deploymentgrid/sync", body)[1]


def test_short_body_is_returned_short():
    later = Deadline(float("inf"), None)
    assert read_exactly(io.BytesIO(b"abc"), 5, later) == b"abc"
    assert read_exactly(io.BytesIO(b"abcdef"), 5, later) == b"abcde"


ODD_HEALTH = [
    {"metadata": {"name": "h1", "labels": {"site": "a"}}, "status": None},
    {"metadata": {"name": "h2", "labels": {"site": "a"}}, "status": {"conditions": "Ready"}},
    {
        "metadata": {"name": "h3", "labels": {"site": "b"}},
        "status": {"conditions": [{"type": "Ready", "status": True}]},
    },
    {"metadata": {"name": "h4", "labels": {"site": "b"}}, "status": {"conditions": [None, {"type": "Ready"}]}},
]


@st.composite
def nodegroup_requests(draw):
    units = {u: draw(st.integers(0, 3)) for u in draw(st.lists(st.sampled_from("abcd"), unique=True, max_size=4))}
    nodes = fleet(down=tuple(draw(st.lists(st.sampled_from(["a-node-0", "b-node-1", "c-node-0"])))), **units)
    for one in nodes.values():  # the Ready condition's transition time feeds the NodeUnits' readiness
        since = draw(st.sampled_from([None, "2025-12-31T22:00:00Z", "2025-12-31T23:30:00Z", "garbled"]))
        if since is not None:
            one["status"]["conditions"][1]["lastTransitionTime"] = since
    for i, odd in enumerate(draw(st.lists(st.sampled_from(ODD_HEALTH), max_size=2))):
        nodes[f"odd-{i}"] = odd
    grids = [ng_workload_grid("shop", "web", {u: draw(st.booleans()) for u in units})]
    req = ng_request(node_group(), nodes, grids)
    first = hook_table()["/nodegroup/sync"](req, NOW)
    if draw(st.booleans()):  # the NodeUnits it keeps, as observed children, some gone or odd
        kept = {c["metadata"]["name"]: c for c in first["children"] if draw(st.booleans())}
        req["children"] = {"NodeUnit.superedge.io/v1": kept}
    if draw(st.booleans()):
        req["parent"]["spec"]["gridUniqKey"] = "bad key"
    return orjson.dumps(req)


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(nodegroup_requests())
def test_nodegroup_reduced_decode_answers_like_a_full_decode(body):
    assert_same_answer("/nodegroup/sync", body)


def node_conditions(request: dict) -> list[LazyItems]:
    return [node["status"]["conditions"] for node in request["related"]["Node.v1"].values()]


def test_node_conditions_are_decoded_only_where_a_hook_reads_them():
    """A grid without a rollout reads no Node's conditions; a rollout reads a unit's Nodes until a Ready one,
    and all of them only for a unit on its way (its deadline starts when its first Node became Ready) or
    without a Ready Node. The answers are those of a full decode all the same."""
    route = "/deploymentgrid/sync"
    decode = decoder_for(route_reads()[route])
    steady = decode(realistic_body(60))
    assert all(isinstance(c, LazyItems) for c in node_conditions(steady))
    hook_table()[route](steady, NOW)
    assert not any(c.loaded for c in node_conditions(steady))

    body = orjson.dumps(mid_rollout_request(100, hook_table()[route], offline_every=5))  # 20 units of 5 Nodes
    rollout = decode(body)
    answer = hook_table()[route](rollout, NOW)
    loaded = sum(c.loaded for c in node_conditions(rollout))
    states = answer["status"]["states"].values()
    dark = sum(1 for s in states if s.get("offline"))
    on_way = sum(1 for s in states if s["updated"] and not s["ready"])
    assert dark == 4 and on_way > 0
    assert loaded == len(states) + 4 * (dark + on_way) < 100  # the first Node of each unit, the others of some
    assert outcome(decode, route, body) == outcome(codec.loads, route, body)


def test_an_array_with_odd_items_is_read_as_the_full_decode_reads_it():
    """Only the matching items are kept once an array is read; an array with an item of other types (which
    Kubernetes' schema does not allow) is read in full instead, as the reference path would have it."""
    reads = RequestReads(related={"N": {"status": {"conditions": Only("type", "Ready", {"status": TEXT})}}})
    ready = {"type": "Ready", "status": "True"}
    odd = {"status": {"conditions": [{"type": 5}, ready]}}
    fine = {"status": {"conditions": [{"type": "Disk", "status": "False"}, ready]}}
    body = orjson.dumps({"related": {"N": {"n": odd, "m": fine}}})
    nodes = decoder_for(reads)(body)["related"]["N"]
    assert all(isinstance(node, Partial) for node in nodes.values())  # the request took the reduced path
    assert list(nodes["n"]["status"]["conditions"]) == orjson.loads(body)["related"]["N"]["n"]["status"]["conditions"]
    assert list(nodes["m"]["status"]["conditions"]) == [{"status": "True"}]
