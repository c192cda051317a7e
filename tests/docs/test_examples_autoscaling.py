"""The autoscaling example renders as docs/autoscaling.md says: an HPA per store reading its own queue, the
flagship's own bounds, the kiosk opted out with the template's replicas, autoscaled Deployments without."""

from pathlib import Path

from hooks.cli.render import node_map, render_grid
from hooks.kube.documents import parse_objects
from tests.support.autoscaling_builders import by_kind

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "autoscaling"


def rendered() -> dict[str, dict[str, dict]]:
    [grid] = parse_objects((EXAMPLE / "deploymentgrid.yaml").read_text(), "deploymentgrid.yaml")
    nodes = node_map(parse_objects((EXAMPLE / "nodes.yaml").read_text(), "nodes.yaml"))
    return by_kind({"children": render_grid(grid, nodes, "default").children})


def test_an_hpa_per_store_and_none_for_the_kiosk():
    kids = rendered()
    assert sorted(kids["Deployment"]) == [
        "checkout-kiosk-ber-airport",
        "checkout-store-berlin-01",
        "checkout-store-hamburg-02",
    ]
    assert sorted(kids["HorizontalPodAutoscaler"]) == ["checkout-store-berlin-01", "checkout-store-hamburg-02"]
    assert kids["Deployment"]["checkout-kiosk-ber-airport"]["spec"]["replicas"] == 2
    assert "replicas" not in kids["Deployment"]["checkout-store-berlin-01"]["spec"]


def test_each_store_reads_its_own_queue_and_the_flagship_has_its_bounds():
    hpas = rendered()["HorizontalPodAutoscaler"]
    for name, hpa in hpas.items():
        selector = hpa["spec"]["metrics"][0]["external"]["metric"]["selector"]["matchLabels"]
        assert name == f"checkout-{selector['site']}"
    flagship, store = hpas["checkout-store-berlin-01"]["spec"], hpas["checkout-store-hamburg-02"]["spec"]
    assert (flagship["minReplicas"], flagship["maxReplicas"]) == (4, 20)
    assert (store["minReplicas"], store["maxReplicas"]) == (2, 6)
    assert flagship["behavior"] == {"scaleDown": {"stabilizationWindowSeconds": 600}}
