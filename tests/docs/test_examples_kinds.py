"""The examples of the DaemonSetGrid, CronJobGrid and ConfigMapGrid render what their comments promise."""

from __future__ import annotations

from pathlib import Path

from hooks.cli.render import node_map, render_all
from hooks.kube.documents import parse_objects

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
SITES = ["beijing-02", "guangzhou-03", "shanghai-01"]


def objects(name: str) -> list:
    return parse_objects((EXAMPLES / name).read_text(), name)


def render(*files: str) -> dict[tuple[str, str], dict]:
    grids = [item for name in files for item in objects(name)]
    outcome = render_all(grids, node_map(objects("nodes.yaml")), "default")
    assert outcome.errors == []
    return {(c["kind"], c["metadata"]["name"]): c for c in outcome.children}


def test_daemonsetgrid_example_pins_each_sites_agent_and_canaries_one_site():
    kids = render("daemonsetgrid.yaml")
    assert sorted(kids) == [("DaemonSet", f"log-shipper-{site}") for site in SITES]
    for site in SITES:
        pod = kids[("DaemonSet", f"log-shipper-{site}")]["spec"]["template"]["spec"]
        (term,) = pod["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]["nodeSelectorTerms"]
        assert term["matchExpressions"] == [
            {"key": "kubernetes.io/os", "operator": "In", "values": ["linux"]},
            {"key": "site", "operator": "In", "values": [site]},
        ]
        (shipper,) = pod["containers"]
        assert shipper["env"] == [{"name": "COLLECTOR", "value": f"collector.{site}.example.com:24224"}]
        assert shipper["image"].endswith("3.2.0-rc1" if site == "beijing-02" else "3.1.0")


def test_cronjobgrid_example_runs_each_shops_report_in_its_site_on_its_schedule():
    kids = render("cronjobgrid.yaml")
    assert sorted(kids) == [("CronJob", f"stock-report-{site}") for site in SITES]
    spec = {site: kids[("CronJob", f"stock-report-{site}")]["spec"] for site in SITES}
    assert {site: s["schedule"] for site, s in spec.items()} == {
        "beijing-02": "30 23 * * *",
        "guangzhou-03": "30 22 * * *",
        "shanghai-01": "30 22 * * *",
    }
    assert [site for site, s in spec.items() if s.get("suspend")] == ["guangzhou-03"]
    for site, s in spec.items():
        pod = s["jobTemplate"]["spec"]["template"]
        assert pod["spec"]["nodeSelector"] == {"site": site} and pod["metadata"]["labels"]["site"] == site
        assert pod["spec"]["containers"][0]["args"][-1] == f"--send-to=https://backoffice.{site}.example.com/reports"


def test_configmapgrid_example_gives_each_site_its_settings_and_the_deployments_their_configmap():
    kids = render("configmapgrid/configmapgrid.yaml", "configmapgrid/deploymentgrid.yaml")
    data = {site: kids[("ConfigMap", f"pos-config-{site}")]["data"] for site in SITES}
    assert {site: d["LOYALTY"] for site, d in data.items()} == {
        "beijing-02": "on",
        "guangzhou-03": "off",
        "shanghai-01": "off",
    }
    assert "PRINTER_URL" not in data["guangzhou-03"]
    assert data["shanghai-01"]["PRINTER_URL"] == "http://printer.shanghai-01.local:9100"
    assert data["beijing-02"]["pos.yaml"].startswith('site: "beijing-02"\n')
    hashes = set()
    for site in SITES:
        pod = kids[("Deployment", f"pos-api-{site}")]["spec"]["template"]
        assert pod["spec"]["containers"][0]["envFrom"] == [{"configMapRef": {"name": f"pos-config-{site}"}}]
        volumes = {v["name"]: v for v in pod["spec"]["volumes"]}
        assert volumes["config"]["configMap"]["name"] == f"pos-config-{site}"
        assert volumes["credentials"]["secret"]["secretName"] == f"db-credentials-{site}"
        hashes.add(pod["metadata"]["annotations"]["superedge.io/config-hash"])
    assert len(hashes) == 3
