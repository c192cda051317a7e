"""spec.overrides: each kind, ordering, {{unit}}, scoping, invariants, per-unit failures (pure functions)."""

import copy

import pytest

from hooks.grids import workload_grid
from hooks.grids.json_patch import operation
from hooks.grids.overrides import apply_overrides, parse_overrides, unmatched_units
from hooks.grids.workload import DEPLOYMENT, STATEFULSET
from hooks.kube.errors import SpecError
from tests.support.builders import NOW, children_map, deployment_spec, grid, observed, site_nodes, sync_request

ENV = "/spec/template/spec/containers/0/env"


def render(overrides, nodes=None, children=None, kind=DEPLOYMENT, **spec):
    parent = grid("StatefulSetGrid" if kind is STATEFULSET else "DeploymentGrid", overrides=overrides, **spec)
    req = sync_request(parent, nodes or site_nodes(a=1, b=1), children, child_type=kind.child_type)
    return workload_grid.sync(req, kind, NOW)


def by_unit(resp):
    return {c["metadata"]["labels"]["site"]: c for c in resp["children"]}


def pod_spec(child):
    return child["spec"]["template"]["spec"]


def synced(resp):
    return next(c for c in resp["status"]["conditions"] if c["type"] == "Synced")


def two_containers():
    spec = deployment_spec()
    pod = spec["template"]["spec"]
    pod["initContainers"] = [{"name": "migrate", "image": "busybox:1.36"}]
    pod["containers"].append({"name": "sidecar", "image": "envoyproxy/envoy:v1.31.0"})
    return spec


class TestEachKind:
    def test_replicas(self):
        kids = by_unit(render([{"units": ["a"], "replicas": 7}]))
        assert kids["a"]["spec"]["replicas"] == 7 and kids["b"]["spec"]["replicas"] == 2

    def test_replicas_zero_is_allowed(self):
        assert by_unit(render([{"replicas": 0}]))["a"]["spec"]["replicas"] == 0

    def test_images_cover_containers_and_init_containers(self):
        images = {"sidecar": "envoyproxy/envoy:v1.32.0", "migrate": "busybox:1.37"}
        kids = by_unit(render([{"units": ["b"], "images": images}], template=two_containers()))
        pod = pod_spec(kids["b"])
        assert [c["image"] for c in pod["containers"]] == ["nginx:1.27", "envoyproxy/envoy:v1.32.0"]
        assert pod["initContainers"][0]["image"] == "busybox:1.37"
        assert [c["image"] for c in pod_spec(kids["a"])["containers"]] == ["nginx:1.27", "envoyproxy/envoy:v1.31.0"]

    def test_patch_reaches_metadata_and_spec(self):
        patch = [
            {"op": "add", "path": "/metadata/annotations/example.com~1tier", "value": "gold"},
            {"op": "add", "path": "/spec/minReadySeconds", "value": 10},
            {"op": "replace", "path": "/spec/template/spec/containers/0/image", "value": "nginx:1.28"},
        ]
        child = by_unit(render([{"patch": patch}]))["a"]
        assert child["metadata"]["annotations"]["example.com/tier"] == "gold"
        assert child["spec"]["minReadySeconds"] == 10
        assert pod_spec(child)["containers"][0]["image"] == "nginx:1.28"

    @pytest.mark.parametrize(
        ("op", "check"),
        [
            ({"op": "remove", "path": "/spec/replicas"}, lambda c: "replicas" not in c["spec"]),
            ({"op": "test", "path": "/spec/replicas", "value": 2}, lambda c: c["spec"]["replicas"] == 2),
            (
                {"op": "copy", "from": "/spec/replicas", "path": "/spec/minReadySeconds"},
                lambda c: c["spec"]["minReadySeconds"] == 2,
            ),
            (
                {"op": "move", "from": "/spec/replicas", "path": "/spec/revisionHistoryLimit"},
                lambda c: c["spec"]["revisionHistoryLimit"] == 2 and "replicas" not in c["spec"],
            ),
        ],
    )
    def test_every_rfc6902_operation(self, op, check):
        assert check(by_unit(render([{"patch": [op]}]))["a"])

    def test_patch_can_change_inherited_grid_labels_and_annotations(self):
        parent_meta = {"labels": {"team": "pos"}, "annotations": {"owner": "ops"}}
        patch = [
            {"op": "replace", "path": "/metadata/labels/team", "value": "pos-{{unit}}"},
            {"op": "remove", "path": "/metadata/annotations/owner"},
        ]
        parent = grid(overrides=[{"units": ["a"], "patch": patch}])
        parent["metadata"].update(parent_meta)
        kids = by_unit(workload_grid.sync(sync_request(parent, site_nodes(a=1, b=1)), DEPLOYMENT, NOW))
        assert kids["a"]["metadata"]["labels"]["team"] == "pos-a"
        assert "owner" not in kids["a"]["metadata"]["annotations"]
        assert kids["b"]["metadata"]["labels"]["team"] == "pos"
        assert kids["b"]["metadata"]["annotations"]["owner"] == "ops"

    def test_statefulset_grid_overrides(self):
        tmpl = deployment_spec()
        tmpl["serviceName"] = "db"
        kids = by_unit(
            render([{"units": ["a"], "replicas": 3, "images": {"web": "nginx:1.28"}}], kind=STATEFULSET, template=tmpl)
        )
        assert kids["a"]["kind"] == "StatefulSet" and kids["a"]["spec"]["replicas"] == 3
        assert pod_spec(kids["a"])["containers"][0]["image"] == "nginx:1.28"


class TestOrderAndScope:
    def test_later_entries_win(self):
        kids = by_unit(render([{"replicas": 3}, {"units": ["a"], "replicas": 5}, {"units": ["b"], "replicas": 4}]))
        assert kids["a"]["spec"]["replicas"] == 5 and kids["b"]["spec"]["replicas"] == 4

    def test_within_an_entry_replicas_then_images_then_patch(self):
        entry = {
            "replicas": 4,
            "images": {"web": "nginx:1.28"},
            "patch": [
                {"op": "test", "path": "/spec/replicas", "value": 4},
                {"op": "test", "path": "/spec/template/spec/containers/0/image", "value": "nginx:1.28"},
                {"op": "replace", "path": "/spec/replicas", "value": 6},
            ],
        }
        assert by_unit(render([entry]))["a"]["spec"]["replicas"] == 6

    def test_patch_sees_earlier_patches(self):
        overrides = [
            {"patch": [{"op": "add", "path": ENV, "value": []}]},
            {"patch": [{"op": "add", "path": ENV + "/-", "value": {"name": "A", "value": "1"}}]},
            {"patch": [{"op": "add", "path": ENV + "/0", "value": {"name": "B", "value": "2"}}]},
        ]
        env = pod_spec(by_unit(render(overrides))["a"])["containers"][0]["env"]
        assert env == [{"name": "B", "value": "2"}, {"name": "A", "value": "1"}]

    def test_pool_template_is_chosen_before_overrides(self):
        pool = {"big": deployment_spec(replicas=9, image="nginx:1.26")}
        overrides = [{"units": ["a"], "images": {"web": "nginx:1.28"}}]
        kids = by_unit(render(overrides, templatePool=pool, templates={"a": "big", "b": "big"}))
        assert kids["a"]["spec"]["replicas"] == 9
        assert pod_spec(kids["a"])["containers"][0]["image"] == "nginx:1.28"
        assert pod_spec(kids["b"])["containers"][0]["image"] == "nginx:1.26"

    def test_units_limit_an_entry(self):
        kids = by_unit(render([{"units": ["b", "zz"], "replicas": 1}], site_nodes(a=1, b=1, c=1)))
        assert [kids[u]["spec"]["replicas"] for u in "abc"] == [2, 1, 2]

    def test_empty_units_list_applies_nowhere(self):
        kids = by_unit(render([{"units": [], "replicas": 1}]))
        assert {c["spec"]["replicas"] for c in kids.values()} == {2}


class TestUnitPlaceholder:
    def test_values_keys_and_paths_get_the_unit(self):
        patch = [
            {"op": "add", "path": ENV, "value": [{"name": "SITE", "value": "{{unit}}"}]},
            {"op": "add", "path": "/metadata/annotations/sites.example.com~1{{unit}}", "value": "x-{{unit}}-{{unit}}"},
            {"op": "add", "path": "/spec/template/metadata/annotations", "value": {"{{unit}}.example.com/pos": "yes"}},
        ]
        kids = by_unit(render([{"patch": patch}], site_nodes(**{"store-1": 1, "b": 1})))
        child = kids["store-1"]
        assert pod_spec(child)["containers"][0]["env"] == [{"name": "SITE", "value": "store-1"}]
        assert child["metadata"]["annotations"]["sites.example.com/store-1"] == "x-store-1-store-1"
        assert child["spec"]["template"]["metadata"]["annotations"] == {"store-1.example.com/pos": "yes"}
        assert pod_spec(kids["b"])["containers"][0]["env"] == [{"name": "SITE", "value": "b"}]

    def test_only_the_exact_placeholder_is_replaced(self):
        value = ["{{ unit }}", "{{unit}", "{{UNIT}}", "${unit}", "{{{unit}}}", "{{unit|upper}}", 7, None, True]
        assert operation("test", "/x", None, value).value_for("a") == [
            "{{ unit }}",
            "{{unit}",
            "{{UNIT}}",
            "${unit}",
            "{a}",
            "{{unit|upper}}",
            7,
            None,
            True,
        ]

    def test_from_gets_the_unit(self):
        patch = [
            {"op": "add", "path": "/metadata/annotations/src-{{unit}}", "value": "v"},
            {"op": "move", "from": "/metadata/annotations/src-{{unit}}", "path": "/metadata/annotations/dst"},
        ]
        annotations = by_unit(render([{"patch": patch}]))["a"]["metadata"]["annotations"]
        assert annotations["dst"] == "v" and "src-a" not in annotations

    def test_a_value_with_the_placeholder_is_decoded_per_unit_one_without_is_shared(self):
        value = {"name": "{{unit}}", "nested": [{"v": "x"}]}
        op = operation("add", "/x", None, value)
        first, second = op.value_for("a"), op.value_for("a")
        assert first == second == {"name": "a", "nested": [{"v": "x"}]}
        assert first["nested"][0] is not second["nested"][0]
        plain = operation("add", "/x", None, {"nested": [1]})
        assert plain.value_for("a") is plain.value  # safe: patches never change a document in place


class TestNoSharedMutation:
    def test_spec_and_other_units_untouched_by_in_place_patches(self):
        overrides = [
            {
                "patch": [
                    {"op": "add", "path": ENV, "value": []},
                    {"op": "add", "path": ENV + "/-", "value": {"name": "U", "value": "{{unit}}"}},
                ]
            },
            {"units": ["a"], "images": {"web": "nginx:1.28"}, "replicas": 1},
        ]
        parent = grid(overrides=overrides)
        before = copy.deepcopy(parent)
        req = sync_request(parent, site_nodes(a=1, b=1, c=1))
        kids = by_unit(workload_grid.sync(req, DEPLOYMENT, NOW))
        assert req["parent"] == before
        for unit in "abc":
            assert pod_spec(kids[unit])["containers"][0]["env"] == [{"name": "U", "value": unit}]

    def test_unit_without_override_shares_the_template_untouched(self):
        template = deployment_spec()
        child = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {}, "spec": template}
        out = apply_overrides(
            child, parse_overrides([{"units": ["x"], "patch": [{"op": "remove", "path": "/spec"}]}]), "a"
        )
        assert out is child and out["spec"] is template

    def test_replicas_and_images_copy_only_their_path(self):
        template = two_containers()
        child = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {}, "spec": template}
        before = copy.deepcopy(template)
        out = apply_overrides(child, parse_overrides([{"replicas": 1, "images": {"web": "nginx:1.28"}}]), "a")
        assert template == before
        assert out["spec"]["selector"] is template["selector"]
        assert out["spec"]["template"]["metadata"] is template["template"]["metadata"]
        assert out["spec"]["template"]["spec"]["containers"][1] is template["template"]["spec"]["containers"][1]


class TestInvariantsWin:
    """No patch can move a child to another unit, rename it or make it select a sibling's pods."""

    HOSTILE = (
        {"op": "add", "path": "/spec/template/spec/nodeSelector", "value": {"site": "b", "zone": "x"}},
        {"op": "add", "path": "/spec/selector/matchLabels/site", "value": "b"},
        {"op": "add", "path": "/spec/template/metadata/labels/site", "value": "b"},
        {"op": "add", "path": "/metadata/labels/site", "value": "b"},
        {"op": "add", "path": "/metadata/labels/superedge.io~1grid-selector", "value": "other"},
        {"op": "add", "path": "/metadata/annotations/superedge.io~1grid-uniq-key", "value": "zone"},
        {"op": "replace", "path": "/metadata/name", "value": "web-b"},
        {"op": "add", "path": "/metadata/namespace", "value": "kube-system"},
        {"op": "replace", "path": "/kind", "value": "DaemonSet"},
        {"op": "replace", "path": "/apiVersion", "value": "apps/v1beta1"},
    )

    def test_hostile_patch_cannot_unpin(self):
        resp = render([{"units": ["a"], "patch": list(self.HOSTILE)}])
        assert synced(resp)["status"] == "True"
        kids = {c["metadata"]["name"]: c for c in resp["children"]}
        a = kids["web-a"]
        assert a["kind"] == "Deployment" and a["apiVersion"] == "apps/v1"
        assert a["metadata"]["namespace"] == "shop"
        assert a["metadata"]["labels"]["site"] == "a"
        assert a["metadata"]["labels"]["superedge.io/grid-selector"] == "web"
        assert a["metadata"]["annotations"]["superedge.io/grid-uniq-key"] == "site"
        assert a["spec"]["selector"]["matchLabels"]["site"] == "a"
        assert a["spec"]["template"]["metadata"]["labels"]["site"] == "a"
        assert pod_spec(a)["nodeSelector"] == {"site": "a", "zone": "x"}
        assert kids["web-b"]["metadata"]["labels"]["site"] == "b"

    @pytest.mark.parametrize(
        "patch",
        [
            [{"op": "remove", "path": "/metadata"}],
            [{"op": "remove", "path": "/spec/selector"}],
            [{"op": "replace", "path": "/spec/template/metadata/labels", "value": {"app": "web"}}],
            [{"op": "add", "path": "/spec/template/spec/nodeSelector", "value": {}}],
            [{"op": "replace", "path": "/spec/selector/matchLabels", "value": {}}],
        ],
    )
    def test_removing_invariant_carriers_restores_them(self, patch):
        child = by_unit(render([{"patch": patch}]))["a"]
        assert child["metadata"]["name"] == "web-a"
        assert child["spec"]["selector"]["matchLabels"]["site"] == "a"
        assert child["spec"]["template"]["metadata"]["labels"]["site"] == "a"
        assert pod_spec(child)["nodeSelector"]["site"] == "a"

    def test_pod_labels_removed_so_the_selector_misses_them_fail_the_unit(self):
        resp = render([{"units": ["a"], "patch": [{"op": "remove", "path": "/spec/template/metadata"}]}])
        assert sorted(by_unit(resp)) == ["b"]
        assert "spec.selector: does not match" in resp["status"]["states"]["a"]["error"]

    def test_selector_expressions_that_exclude_own_pods_fail_the_unit(self):
        expr = {"key": "site", "operator": "In", "values": ["b"]}
        resp = render(
            [{"units": ["a"], "patch": [{"op": "add", "path": "/spec/selector/matchExpressions", "value": [expr]}]}]
        )
        assert sorted(by_unit(resp)) == ["b"]
        assert "spec.selector: does not match" in resp["status"]["states"]["a"]["error"]


class TestPerUnitFailure:
    def lives(self, units=("a", "b")):
        rendered = render([], site_nodes(**dict.fromkeys(units, 1)))["children"]
        return rendered, children_map([observed(c) for c in rendered])

    @pytest.mark.parametrize(
        ("entry", "cause"),
        [
            (
                {"patch": [{"op": "replace", "path": "/spec/strategy/type", "value": "Recreate"}]},
                "(replace /spec/strategy/type)",
            ),
            ({"patch": [{"op": "remove", "path": "/spec/template/spec/containers/3"}]}, "patch[0] (remove"),
            ({"patch": [{"op": "test", "path": "/spec/replicas", "value": 3}]}, "test failed"),
            ({"images": {"sidecar": "envoy:1"}}, "no container or initContainer named 'sidecar'"),
            (
                {"patch": [{"op": "replace", "path": "/spec/replicas", "value": -1}]},
                "spec.replicas: must be an integer",
            ),
            ({"patch": [{"op": "replace", "path": "/spec/replicas", "value": "7"}]}, "spec.replicas"),
            (
                {"patch": [{"op": "replace", "path": "/spec/template/spec/containers", "value": []}]},
                "containers: must be a non-empty list",
            ),
            ({"patch": [{"op": "remove", "path": "/spec/template/spec/containers/0/image"}]}, "containers[0].image"),
            (
                {
                    "patch": [
                        {"op": "replace", "path": "/spec/template/spec/containers/0/image", "value": "Nginx:latest"}
                    ]
                },
                "not a valid image reference",
            ),
            (
                {"patch": [{"op": "replace", "path": "/spec/template/spec", "value": "nope"}]},
                "spec.template.spec must be an object",
            ),
            (
                {"patch": [{"op": "add", "path": "/status", "value": {"replicas": 1}}]},
                "status: a desired child may only hold",
            ),
            ({"patch": [{"op": "add", "path": "/metadata/uid", "value": "x"}]}, "metadata.uid: field is server-owned"),
            (
                {"patch": [{"op": "add", "path": ENV, "value": [{"name": "PORT", "value": 8080}]}]},
                "env[0].value: must be a string",
            ),
            (
                {"patch": [{"op": "add", "path": "/metadata/labels/tier", "value": "gold plated"}]},
                "metadata.labels[tier]",
            ),
        ],
    )
    def test_failure_keeps_that_units_observed_child_and_names_unit_and_cause(self, entry, cause):
        rendered, lives = self.lives()
        resp = render([{"units": ["a"], **entry}], site_nodes(a=1, b=1), lives)
        kids = {c["metadata"]["name"]: c for c in resp["children"]}
        assert sorted(kids) == ["web-a", "web-b"]
        assert kids["web-a"]["spec"] == rendered[0]["spec"]
        assert "status" not in kids["web-a"]
        assert cause in resp["status"]["states"]["a"]["error"]
        assert "error" not in resp["status"]["states"]["b"]
        cond = synced(resp)
        assert cond["status"] == "False" and cond["reason"] == "UnitErrors"
        assert "(unit a)" in cond["message"] and cause in cond["message"]

    def test_failure_without_observed_child_sends_nothing_for_that_unit(self):
        resp = render([{"units": ["a"], "patch": [{"op": "remove", "path": "/spec/nothing"}]}])
        assert [c["metadata"]["name"] for c in resp["children"]] == ["web-b"]
        assert resp["status"]["units"] == 2

    def test_error_message_never_quotes_the_document(self):
        resp = render([{"patch": [{"op": "add", "path": "/nope/deeper", "value": 1}]}])
        error = resp["status"]["states"]["a"]["error"]
        assert "nginx" not in error and len(error) < 200
        assert error.startswith("spec.overrides[0].patch[0] (add /nope/deeper): ")

    def test_bad_template_shape_is_a_unit_error_not_a_crash(self):
        tmpl = deployment_spec()
        tmpl["template"] = "not an object"
        resp = render([], template=tmpl)
        assert resp["children"] == []
        assert "spec.template must be an object" in resp["status"]["states"]["a"]["error"]


class TestInvalidOverridesList:
    @pytest.mark.parametrize(
        "overrides",
        [
            {"replicas": 3},
            ["x"],
            [{"replica": 3}],
            [{"units": "a"}],
            [{"units": [""]}],
            [{"units": ["not a label"]}],
            [{"replicas": -1}],
            [{"replicas": True}],
            [{"replicas": 1.5}],
            [{"images": ["nginx"]}],
            [{"images": {"web": ""}}],
            [{"images": {"web": "Bad Image"}}],
            [{"images": {"Web_1": "nginx"}}],
            [{"patch": {"op": "add"}}],
            [{"patch": ["add"]}],
            [{"patch": [{"op": "delete", "path": "/spec"}]}],
            [{"patch": [{"op": "add", "path": "spec/replicas", "value": 1}]}],
            [{"patch": [{"op": "add", "path": "", "value": {}}]}],
            [{"patch": [{"op": "add", "path": "/spec/~2", "value": 1}]}],
            [{"patch": [{"op": "add", "path": "/spec/replicas"}]}],
            [{"patch": [{"op": "move", "path": "/spec/replicas"}]}],
            [{"patch": [{"op": "copy", "from": "spec", "path": "/spec/x"}]}],
            [{"patch": [{"op": "remove", "path": 5}]}],
            [{"patch": [{"op": "remove", "path": "/a" * 101}]}],
            [{"patch": [{"op": "copy", "from": "/a" * 101, "path": "/b"}]}],
        ],
    )
    def test_whole_spec_error_keeps_every_child(self, overrides):
        rendered = render([])["children"]
        lives = children_map([observed(c) for c in rendered])
        resp = render(overrides, site_nodes(a=1, b=1), lives)
        assert [c["metadata"]["name"] for c in resp["children"]] == ["web-a", "web-b"]
        assert [c["spec"] for c in resp["children"]] == [c["spec"] for c in rendered]
        cond = synced(resp)
        assert cond["status"] == "False" and cond["reason"] == "InvalidSpec"
        assert "spec.overrides" in cond["message"]

    def test_messages_point_at_the_entry(self):
        with pytest.raises(SpecError, match=r"spec\.overrides\[1\]\.patch\[0\]\.op must be one of"):
            parse_overrides([{}, {"patch": [{"op": "merge", "path": "/a"}]}])

    def test_unknown_operation_members_are_ignored_as_rfc6902_says(self):
        (entry,) = parse_overrides([{"patch": [{"op": "remove", "path": "/a", "value": 1, "comment": "x"}]}])
        assert entry.patch == (operation("remove", "/a"),)

    def test_null_means_absent(self):
        assert parse_overrides(None) == ()
        (entry,) = parse_overrides([{"units": None, "replicas": None, "images": None, "patch": None}])
        assert entry.units is None and entry.replicas is None and not entry.images and not entry.patch


class TestUnmatchedUnits:
    def test_unknown_units_are_not_an_error_but_visible_in_status(self):
        resp = render([{"units": ["a", "gone-2", "gone-1"], "replicas": 3}, {"units": ["gone-1"], "replicas": 1}])
        assert synced(resp)["status"] == "True"
        assert resp["status"]["unmatchedOverrideUnits"] == ["gone-1", "gone-2"]
        assert by_unit(resp)["a"]["spec"]["replicas"] == 3

    def test_field_absent_when_every_named_unit_exists(self):
        assert "unmatchedOverrideUnits" not in render([{"units": ["a"], "replicas": 3}, {"replicas": 1}])["status"]

    def test_helper(self):
        assert unmatched_units(parse_overrides([{"units": ["x", "a"]}, {}]), ["a", "b"]) == ["x"]


@pytest.mark.parametrize("value", [None, {"a": None}, [1, None]])
def test_patch_values_may_not_hold_null(value):
    with pytest.raises(SpecError, match="null"):
        parse_overrides([{"patch": [{"op": "add", "path": "/metadata/labels/x", "value": value}]}])
