"""ServiceGrid CRD and controller and the node zone DecoratorController, as the install kustomization has them."""

from urllib.parse import urlparse

import yaml

from hooks.sites.node_zone import SOURCE_KEY_ANNOTATION
from tests.install.test_manifests import CONTROLLERS, CRDS, INSTALLED, ROOT


def controller(kind, name):
    return next(c for c in CONTROLLERS if c["kind"] == kind and c["metadata"]["name"] == name)


def test_servicegrid_crd_is_installed_with_short_name_and_fields():
    crd = next(c for c in CRDS if c["metadata"]["name"] == "servicegrids.superedge.io")
    assert crd["spec"]["names"]["kind"] == "ServiceGrid" and crd["spec"]["names"]["shortNames"] == ["sg"]
    version = crd["spec"]["versions"][0]
    spec = version["schema"]["openAPIV3Schema"]["properties"]["spec"]
    assert spec["required"] == ["gridUniqKey", "template"]
    assert spec["properties"]["perUnitServices"]["type"] == "boolean"
    template = spec["properties"]["template"]  # a typed ServiceSpec (tests/install/test_crd_schemas.py)
    assert {"ports", "selector", "type", "trafficDistribution"} <= set(template["properties"])
    assert {"Units", "Ready"} <= {c["name"] for c in version["additionalPrinterColumns"]}


def test_servicegrid_controller_owns_services_with_v2_hooks():
    ctl = controller("CompositeController", "servicegrid-controller")
    spec = ctl["spec"]
    assert spec["generateSelector"] is True
    assert spec["parentResource"] == {
        "apiVersion": "superedge.io/v1",
        "resource": "servicegrids",
        "ignoreStatusChanges": True,
    }
    assert [(c["apiVersion"], c["resource"]) for c in spec["childResources"]] == [("v1", "services")]
    paths = {name: urlparse(h["webhook"]["url"]).path for name, h in spec["hooks"].items()}
    assert paths == {"customize": "/servicegrid/customize", "sync": "/servicegrid/sync"}


def test_nodezone_decorator_sees_every_node_and_names_the_unit_key():
    dc = controller("DecoratorController", "servicegroup-nodezone")
    assert dc["metadata"]["annotations"][SOURCE_KEY_ANNOTATION] == "site"
    (rule,) = dc["spec"]["resources"]
    assert (rule["apiVersion"], rule["resource"]) == ("v1", "nodes")
    # A selector would hide a Node whose unit label was removed, so the zone label set for it could never go.
    assert "labelSelector" not in rule and "annotationSelector" not in rule
    # Heartbeats (Node status updates) must not call the hook; label and annotation changes still do.
    assert rule["ignoreStatusChanges"] is True
    assert set(dc["spec"]["hooks"]) == {"sync"}, "a finalize hook would put a finalizer on every Node"
    assert urlparse(dc["spec"]["hooks"]["sync"]["webhook"]["url"]).path == "/nodezone/sync"
    assert not dc["spec"].get("attachments")


def test_the_node_summary_decorators_are_their_own_step_and_only_the_mark_sees_status_posts():
    """Not in the kustomization (opt-in). The ready mark decorator sees every Node's status posts (readiness is
    in the status) and has no attachments, so its calls read no summaries; the summary decorator, whose calls
    do, is woken only by label and annotation changes (the mark among them)."""
    docs = list(yaml.safe_load_all((ROOT / "metacontroller" / "nodesummary-decorator.yaml").read_text()))
    by_name = {d["metadata"]["name"]: d for d in docs}
    assert set(by_name) == {"servicegroup-nodeready", "servicegroup-nodesummary"}
    assert not {d["metadata"]["name"] for d in INSTALLED} & set(by_name)
    mark, summary = by_name["servicegroup-nodeready"], by_name["servicegroup-nodesummary"]
    assert mark["spec"]["resources"] == [{"apiVersion": "v1", "resource": "nodes"}]
    assert "attachments" not in mark["spec"]
    assert summary["spec"]["resources"] == [{"apiVersion": "v1", "resource": "nodes", "ignoreStatusChanges": True}]
    assert summary["spec"]["attachments"] == [
        {"apiVersion": "superedge.io/v1", "resource": "nodesummaries", "updateStrategy": {"method": "InPlace"}}
    ]
    for dc, path in ((mark, "/nodeready/sync"), (summary, "/nodesummary/sync")):
        assert set(dc["spec"]["hooks"]) == {"sync"}, "a finalize hook would put a finalizer on every Node"
        assert urlparse(dc["spec"]["hooks"]["sync"]["webhook"]["url"]).path == path
