"""e2e/fleet_bench.py's pure helpers (no cluster, nothing timed): the benchmark itself is run by hand."""

import pytest

from e2e import fleet_bench as fb
from e2e.cluster import heartbeat_delay


def deployment(generation=1, observed=1, available="True", replicas=1, updated=1, ready=1, unavailable=0, env="1"):
    status = {
        "observedGeneration": observed,
        "replicas": replicas,
        "updatedReplicas": updated,
        "availableReplicas": ready,
        "conditions": [{"type": "Available", "status": available}, {"type": "Progressing", "status": "True"}],
    }
    if unavailable:
        status["unavailableReplicas"] = unavailable
    container = {"name": "c", "image": "i", "env": [{"name": "OTHER", "value": "x"}, {"name": "REV", "value": env}]}
    return {
        "metadata": {"name": "d", "generation": generation},
        "spec": {"replicas": 1, "template": {"spec": {"containers": [container]}}},
        "status": status,
    }


def test_limit_sets_pair_qps_with_burst_and_cross_workers():
    assert fb.limit_sets([5, 50], None, [5]) == [fb.Limits(5, 10, 5), fb.Limits(50, 100, 5)]
    assert fb.limit_sets([50], [80], [5, 10]) == [fb.Limits(50, 80, 5), fb.Limits(50, 80, 10)]
    with pytest.raises(ValueError, match="one value per --qps"):
        fb.limit_sets([5, 50], [10], [5])
    assert fb.parse_numbers("50,200,") == [50, 200]
    assert fb.parse_numbers("2.5", float) == [2.5]
    assert fb.Limits(2.5, 10, 5).label() == "2.5/10/5"


def test_deployment_available_and_rolled_out():
    assert fb.deployment_available(deployment())
    assert not fb.deployment_available(deployment(generation=2))  # spec not yet observed
    assert not fb.deployment_available(deployment(available="False"))
    assert not fb.deployment_available(deployment(ready=0))
    assert fb.rolled_out(deployment())
    assert not fb.rolled_out(deployment(replicas=2, unavailable=1))  # old and new pod both there
    assert not fb.rolled_out(deployment(updated=0))
    assert fb.template_env(deployment(env="2"), "REV") == "2"
    assert fb.template_env(deployment(), "MISSING") is None
    assert fb.template_env({"spec": {}}, "REV") is None


def test_grid_ready_needs_the_current_generation_and_every_unit():
    grid = {"metadata": {"generation": 3}, "status": {"observedGeneration": 3, "units": 4, "readyUnits": 4}}
    assert fb.grid_ready(grid, 4)
    assert not fb.grid_ready(grid, 5)
    assert not fb.grid_ready({**grid, "metadata": {"generation": 4}}, 4)
    assert not fb.grid_ready({"metadata": {"generation": 1}}, 0)
    assert not fb.grid_ready(None, 0)


def test_wait_milestones_keeps_the_first_time_each_was_reached():
    now = [100.0]
    states = iter([{}, {"written": True}, {"written": False, "available": True}, {"status": True}])
    seconds = fb.wait_milestones(
        lambda: next(states),
        fb.MILESTONES,
        timeout=60,
        start=99.0,
        clock=lambda: now[0],
        sleep=lambda s: now.__setitem__(0, now[0] + s),
    )
    assert seconds == {"written": 1.5, "available": 2.0, "status": 2.5}


def test_wait_milestones_gives_none_for_what_never_came():
    now = [0.0]
    seconds = fb.wait_milestones(
        lambda: {"written": True},
        ("written", "status"),
        timeout=2,
        clock=lambda: now[0],
        sleep=lambda s: now.__setitem__(0, now[0] + s),
    )
    assert seconds == {"written": 0.0, "status": None}


def test_parse_stat_and_tree_cpu():
    ticks = fb.CLOCK_TICKS
    # a command name with spaces and a parenthesis; utime stime cutime cstime are fields 14-17
    line = f"42 (gunicorn: w) x) S 7 42 42 0 -1 4194560 1 0 0 0 {3 * ticks} {ticks} {ticks} 0 20 0 1 0 5 6 7"
    assert fb.parse_stat(line) == (42, 7, 5.0)
    stats = [(7, 1, 1.0), (42, 7, 5.0), (43, 7, 2.0), (44, 43, 0.5), (99, 1, 100.0)]
    assert fb.tree_cpu(stats, 7) == 8.5
    assert fb.tree_cpu(stats, 44) == 0.5
    assert fb.tree_cpu(stats, 12345) == 0.0


def result(phase, seconds, **cpu):
    return fb.PhaseResult(
        sites=50,
        limits="5/10/5",
        phase=phase,
        seconds=seconds,
        wall=31.0,
        sync_calls=12,
        hook_busy=0.4,
        request_mb=3.0,
        mc_writes={"create deployments": 50, "update deploymentgrids/status": 3, "update deployments": 2},
        cpu=cpu,
    )


def test_markdown_tables():
    rows = [
        result("apply", {"written": 8.04, "available": 9.5, "status": None}, hooks=1.25, metacontroller=2.0),
        result("idle", {}),
    ]
    table = fb.markdown_table(rows).splitlines()
    assert table[0].startswith("| sites | MC qps/burst/workers | phase |") and table[1] == "|" + "---|" * 10
    assert table[2] == "| 50 | 5/10/5 | apply | 8.0 | 9.5 | timeout | 12 | 1.25 | 2.0 | 50 create, 2 update, 3 status |"
    assert table[3].startswith("| 50 | 5/10/5 | idle (31 s) |  |  |  | 12 |")
    cpu = fb.cpu_table(rows).splitlines()
    assert cpu[0].count("|") == cpu[2].count("|") == 4 + len(fb.COMPONENTS) + 2
    assert cpu[2].startswith("| 50 | 5/10/5 | apply | 31.0 | 1.2 | 2.0 | 0.0 |")


def test_layout_by_region_gives_every_site_one_grid_that_selects_its_region():
    layout = fb.Layout.of(grids=1, regions=3)
    assert layout.grids == ("fleet-r0", "fleet-r1", "fleet-r2")
    assert [layout.grids_of(i) for i in range(4)] == [("fleet-r0",), ("fleet-r1",), ("fleet-r2",), ("fleet-r0",)]
    assert [layout.units_of(g, 7) for g in layout.grids] == [3, 2, 2]  # sites 0-6 dealt out in turn
    assert layout.node_labels(4, 3) == {"site": "site-004", "region": "r1"}
    grid = fb.grid_object("Nodes", "fleet-r1", layout.region("fleet-r1"))
    assert grid["spec"]["nodeSelector"] == {"matchLabels": {"region": "r1"}}


def test_layout_without_regions_puts_every_grid_in_every_site():
    layout = fb.Layout.of(grids=2, regions=1)
    assert layout.grids == ("fleet", "fleet-g1")
    assert layout.grids_of(5) == layout.grids
    assert layout.units_of("fleet-g1", 7) == 7
    assert layout.region("fleet") is None
    assert layout.node_labels(4, 3) == {"site": "site-004"}
    assert "nodeSelector" not in fb.grid_object("Nodes", "fleet")["spec"]


def test_regions_take_neither_several_grids_nor_nodeunits(capsys):
    for extra in (["--grids", "2"], ["--site-source", "NodeUnits"]):
        with pytest.raises(SystemExit):
            fb.parse_args(["--regions", "4", *extra])
        assert "--regions splits one grid's sites" in capsys.readouterr().err


def test_region_grids_may_read_summaries(monkeypatch):
    monkeypatch.setattr(fb, "find_metacontroller", lambda: "metacontroller")  # parsing needs no binary
    monkeypatch.setattr(fb, "find_metacontroller_crds", lambda: "crds")
    args = fb.parse_args(["--regions", "4", "--site-source", "NodeSummaries", "--impl", "ours"])
    assert (args.regions, args.site_source) == (4, "NodeSummaries")
    spec = fb.grid_object("NodeSummaries", "fleet-r1", "r1")["spec"]
    assert spec["siteSource"] == "NodeSummaries" and spec["nodeSelector"] == {"matchLabels": {fb.REGION_KEY: "r1"}}


def test_spread_heartbeats_keep_the_mean_and_draw_each_delay_from_a_whole_interval():
    exact = {"durationMilliseconds": 300_000, "jitterDurationMilliseconds": 300_000}
    assert heartbeat_delay(300, spread=False) == exact
    spread = heartbeat_delay(300, spread=True)
    low, high = spread["durationMilliseconds"], spread["jitterDurationMilliseconds"]
    assert (low + high) / 2 == 300_000 and high - low == 300_000
