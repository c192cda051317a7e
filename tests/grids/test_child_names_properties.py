"""Child names: distinct across the grids of one namespace, valid, and stable across the upgrade from 0.1.0.

Natural names ``<grid>-<unit>`` are SuperEdge's and are kept: two pairs whose natural strings are equal
(grid ``web`` unit ``a-b``, grid ``web-a`` unit ``b``) are the one documented exception. Every other pair of
(grid, unit) gets its own name, in particular every pair whose name falls back to a hash.
"""

from __future__ import annotations

import itertools

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hooks.grids import service_grid as sg_hooks
from hooks.grids import workload_grid
from hooks.grids.service import shared_name, unit_service_names
from hooks.grids.workload import DEPLOYMENT, STATEFULSET, unit_child_names
from hooks.kube.names import NAME_MAX, is_dns1035_label, is_dns1123_subdomain, legacy_child_name
from hooks.nodegroups import nodegroup
from hooks.sites.nodeunit import nodeunit_names
from tests.support.builders import NOW, grid, node, observed, sync_request
from tests.support.metacontroller_apply import apply_update, as_created, needs_update, with_generated_selector
from tests.support.nodegroup_builders import fleet, ng_request, node_group
from tests.support.nodeunit_builders import as_stored
from tests.support.service_builders import observed_service, service_grid, service_sync_request

# Grid names share long prefixes on purpose: that is where a hash of the unit alone made two grids collide.
STEMS = ["web", "a" * 40, "a" * 58, "a" * 61, "shop.v2", "x" * 120, "0"]
grid_names = st.one_of(
    st.builds(lambda stem, tail: stem + tail, st.sampled_from(STEMS), st.from_regex(r"\A[a-z0-9]{0,3}\Z")),
    st.from_regex(r"\A[a-z0-9]([a-z0-9.-]{0,70}[a-z0-9])?\Z"),
).filter(is_dns1123_subdomain)
# Units that fall back (upper case, '_', '.', long) next to ones that do not.
UNITS = ["beijing-02", "Shanghai_01", "x" * 63, "a.b", "1", "b-Cd", "svc"]
label_values = st.one_of(
    st.sampled_from(UNITS),
    st.from_regex(r"\A([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)\Z"),
)

NAMING_RULES = {
    "Deployment": (lambda g: unit_child_names(DEPLOYMENT, g, {}), NAME_MAX, "{g}-{u}"),
    "StatefulSet": (lambda g: unit_child_names(STATEFULSET, g, {}), STATEFULSET.name_max, "{g}-{u}"),
    "Service": (lambda g: unit_service_names(g, {}), NAME_MAX, "{g}-svc-{u}"),
    "NodeUnit": (lambda g: nodeunit_names(g, "site", ()), NAME_MAX, "{g}-{u}"),
}


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(grid_names, min_size=2, max_size=5, unique=True),
    st.lists(label_values, min_size=1, max_size=6, unique=True),
    st.sampled_from(sorted(NAMING_RULES)),
)
def test_no_two_grid_unit_pairs_share_a_name(grids, units, kind):
    """Within one namespace (cluster-wide for NodeUnits), for one kind of child."""
    rule, max_len, natural = NAMING_RULES[kind]
    named: dict[str, tuple[str, str]] = {}  # name -> the natural string of its first owner, for the message
    taken: dict[str, str] = {}
    for g in grids:
        name_of = rule(g)
        for u in units:
            name = name_of(u)
            assert is_dns1035_label(name, max_len), (g, u, name)
            plain = natural.format(g=g, u=u)
            if name in taken:
                assert taken[name] == plain, f"{kind} {name!r}: {named[name]} and {(g, u)}"
            taken[name], named[name] = plain, (g, u)
    if kind == "Service":  # the shared Services share the namespace with the per-unit ones
        for g in grids:
            name = shared_name(g)
            assert is_dns1035_label(name)
            assert name not in taken or taken[name] == f"{g}-svc", (g, name)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(grid_names, st.lists(label_values, min_size=1, max_size=5, unique=True))
def test_the_hash_covers_the_grid(name, units):
    """Two grids that differ only after the truncated prefix still name every unit's child apart."""
    other = name + "z" if len(name) < 253 else name[:-1] + "z"
    a = unit_child_names(DEPLOYMENT, name, {})
    b = unit_child_names(DEPLOYMENT, other, {})
    for u in units:
        if a(u) == b(u):  # only the natural scheme can give two grids one name
            assert f"{name}-{u}" == f"{other}-{u}"


@st.composite
def upgrades(draw):
    """A grid, its sites, and which units' children release 0.1.0 created (under their 0.1.0 names)."""
    name = draw(grid_names)
    units = draw(st.lists(label_values, min_size=1, max_size=5, unique=True))
    old = draw(st.sets(st.sampled_from(units)))
    return name, units, old


def _by_name(children):
    return {c["metadata"]["name"]: c for c in children}


def _nodes(units, key="site"):
    return {f"n{i}": node(f"n{i}", {key: u}) for i, u in enumerate(units)}


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(upgrades(), st.sampled_from([DEPLOYMENT, STATEFULSET]))
def test_an_observed_old_scheme_workload_keeps_its_name(upgrade, kind):
    """An upgrade deletes nothing and creates nothing; once applied, the next sync writes nothing."""
    name, units, old = upgrade
    parent = grid(kind.grid_kind, name=name)
    first = workload_grid.sync(sync_request(parent, _nodes(units), child_type=kind.child_type), kind, NOW)
    by_unit = {c["metadata"]["labels"]["site"]: c for c in first["children"]}
    live = {}
    for unit, child in by_unit.items():
        if unit in old:
            child = {**child, "metadata": {**child["metadata"], "name": legacy_child_name(name, unit, kind.name_max)}}
        live[child["metadata"]["name"]] = observed(as_created(child, parent))
    req = sync_request(parent, _nodes(units), {f"shop/{n}": c for n, c in live.items()}, kind.child_type)
    answer = workload_grid.sync(req, kind, NOW)["children"]
    assert sorted(c["metadata"]["name"] for c in answer) == sorted(live)  # 0 deletes, 0 creates
    for child in answer:
        unit = child["metadata"]["labels"]["site"]
        expected = legacy_child_name(name, unit, kind.name_max) if unit in old else by_unit[unit]["metadata"]["name"]
        assert child["metadata"]["name"] == expected
    applied = {n: apply_update(live[n], with_generated_selector(c, "uid-1")) for n, c in _by_name(answer).items()}
    req = sync_request(parent, _nodes(units), {f"shop/{n}": c for n, c in applied.items()}, kind.child_type)
    again = workload_grid.sync(req, kind, NOW)["children"]
    assert not [c for c in again if needs_update(applied[c["metadata"]["name"]], c, "uid-1")]


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(upgrades())
def test_an_observed_old_scheme_service_keeps_its_name(upgrade):
    name, units, old = upgrade
    parent = service_grid(name=name)
    first = sg_hooks.sync(service_sync_request(parent, _nodes(units)), NOW)["children"]
    shared = shared_name(name)
    live = {}
    for child in first:
        unit = child["metadata"]["labels"].get("site")
        if child["metadata"]["name"] != shared and unit in old:
            child = {**child, "metadata": {**child["metadata"], "name": legacy_child_name(f"{name}-svc", unit)}}
        live[child["metadata"]["name"]] = observed_service(as_created(child, parent))
    answer = sg_hooks.sync(service_sync_request(parent, _nodes(units), {f"shop/{n}": c for n, c in live.items()}), NOW)
    assert sorted(c["metadata"]["name"] for c in answer["children"]) == sorted(live)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(upgrades())
def test_an_observed_old_scheme_nodeunit_keeps_its_name(upgrade):
    name, units, old = upgrade
    nodes = fleet(**dict.fromkeys(units, 1))
    parent = node_group(name)
    first = nodegroup.sync(ng_request(parent, nodes), NOW)["children"]
    live = {}
    for child in first:
        unit = child["spec"]["unit"]
        if unit in old:
            child = {**child, "metadata": {**child["metadata"], "name": legacy_child_name(name, unit)}}
        live[child["metadata"]["name"]] = as_stored(child)
    answer = nodegroup.sync(ng_request(parent, nodes, nodeunits=live), NOW)["children"]
    assert sorted(c["metadata"]["name"] for c in answer) == sorted(live)


def test_grids_of_one_namespace_whose_names_share_58_characters():
    """The trial's case: both grids' children for one unit, in one namespace, through the sync hook."""
    names = set()
    for name in ("a" * 58 + "x", "a" * 58 + "y"):
        req = sync_request(grid(name=name), _nodes(["beijing-02", "Shanghai_01"]))
        names |= {c["metadata"]["name"] for c in workload_grid.sync(req, DEPLOYMENT, NOW)["children"]}
    assert len(names) == 4


def test_an_old_and_a_new_name_observed_for_one_unit_keep_the_old_one():
    parent = grid(name="web")
    fresh = workload_grid.sync(sync_request(parent, _nodes(["Shanghai_01"])), DEPLOYMENT, NOW)["children"][0]
    old = {**fresh, "metadata": {**fresh["metadata"], "name": "web-shanghai-01-1cfd3bca"}}
    lives = {f"shop/{c['metadata']['name']}": observed(as_created(c, parent)) for c in (fresh, old)}
    answer = workload_grid.sync(sync_request(parent, _nodes(["Shanghai_01"]), lives), DEPLOYMENT, NOW)
    assert [c["metadata"]["name"] for c in answer["children"]] == ["web-shanghai-01-1cfd3bca"]


def test_a_departing_unit_keeps_its_old_name_through_the_grace_period():
    parent = grid(name="web", unitRemovalGracePeriodSeconds=600)
    fresh = workload_grid.sync(sync_request(parent, _nodes(["Shanghai_01"])), DEPLOYMENT, NOW)["children"][0]
    old = {**fresh, "metadata": {**fresh["metadata"], "name": "web-shanghai-01-1cfd3bca"}}
    lives = {"shop/web-shanghai-01-1cfd3bca": observed(as_created(old, parent))}
    answer = workload_grid.sync(sync_request(parent, _nodes(["b"]), lives), DEPLOYMENT, NOW)
    names = [c["metadata"]["name"] for c in answer["children"]]
    assert names == ["web-b", "web-shanghai-01-1cfd3bca"]
    assert "removalAt" in answer["status"]["states"]["Shanghai_01"]


def test_the_sampled_stems_and_units_produce_fallback_names():
    """Keeps the strategies honest: the sampled stems and units do produce fallback names."""
    fallbacks = [
        (g, u) for g, u in itertools.product(STEMS, UNITS) if unit_child_names(DEPLOYMENT, g, {})(u) != f"{g}-{u}"
    ]
    assert len(fallbacks) > len(STEMS)
