"""The fleet benchmark's comparison with its peer: the tables, ratios, peak memory and peer helpers (no cluster)."""

from pathlib import Path

import pytest

from e2e import fleet_bench as fb
from e2e import fleet_compare as fc
from e2e import peer


def result(impl, phase, seconds, cpu, rss, sites=200, limits="1000/1000/5", calls=0, mb=0.0):
    return fb.PhaseResult(
        sites=sites,
        limits=limits,
        phase=phase,
        seconds=seconds,
        wall=10.0,
        cpu_window=10.5,
        sync_calls=calls,
        hook_busy=0.5,
        request_mb=mb,
        mc_writes={},
        cpu=cpu,
        impl=impl,
        rss_mb=rss,
    )


def ours(phase, written, available, mc, hooks, api, rss=(130.0, 110.0)):
    seconds = {"written": written, "available": available, "status": available}
    cpu = {"metacontroller": mc, "hooks": hooks, "kube-apiserver": api}
    return result("ours", phase, seconds, cpu, {"metacontroller": rss[0], "hooks": rss[1]}, calls=20, mb=30.0)


def theirs(phase, written, available, cpu, api, rss=60.0):
    cpu = {"application-grid-controller": cpu, "kube-apiserver": api}
    return result("peer", phase, {"written": written, "available": available}, cpu, {peer.PROCESS: rss}, limits="peer")


def test_ratio_and_seconds():
    assert fc.ratio(9.0, 2.0) == "4.5x"
    assert fc.ratio(None, 2.0) == fc.ratio(1.0, None) == fc.ratio(1.0, 0.0) == "-"
    assert fc.seconds(None) == "timeout"
    assert fc.seconds(1.234) == "1.23"


def test_comparison_table_rows_and_ratios():
    rows = [
        ours("apply", 2.0, 40.0, 20.0, 5.0, 30.0),
        ours("idle", None, None, 0.2, 0.1, 2.0),
        ours("template", 2.0, 70.0, 35.0, 5.0, 50.0, rss=(140.0, 115.0)),
        ours("new site", 1.0, 1.0, 0.5, 0.1, 1.0),
        theirs("apply", 1.0, 40.0, 5.0, 25.0),
        theirs("idle", None, None, 0.1, 2.0),
        theirs("template", 2.0, 70.0, 8.0, 40.0, rss=70.0),
        theirs("new site", 1.0, 1.0, 0.2, 0.5),
    ]
    table = fc.comparison_table(rows).splitlines()
    assert table[0].startswith("| sites | implementation | all created (s) |") and table[1] == "|" + "---|" * 10
    # beyond rest: each phase less the idle phase's rate (0.3 and 0.1 CPU s per 10.5 s) over its 10.5 s window
    assert table[2] == (
        "| 200 | this project (Metacontroller + hook server), 1000/1000/5 | 2.00 | 40.00 | 2.00 / 70.00 | 1.00 "
        "| 25.00 / 40.00 / 0.60 | 30.00 / 50.00 / 1.00 | 140 + 115 | 24.70 / 39.70 / 0.30 |"
    )
    assert table[3] == (
        "| 200 | SuperEdge's controller, peer | 1.00 | 40.00 | 2.00 / 70.00 | 1.00 "
        "| 5.00 / 8.00 / 0.20 | 25.00 / 40.00 / 0.50 | 70 | 4.90 / 7.90 / 0.10 |"
    )
    assert table[4] == (
        "| 200 | ratio ours / peer (1000/1000/5) | 2.0x | 1.0x | 1.0x / 1.0x | 1.0x "
        "| 5.0x / 5.0x / 3.0x | 1.2x / 1.2x / 2.0x | 3.6x | 5.0x / 5.0x / 3.0x |"
    )
    assert len(table) == 5


def test_nothing_is_taken_off_without_an_idle_phase():
    rows = [ours("apply", 2.0, 40.0, 20.0, 5.0, 30.0), ours("new site", 1.0, 1.0, 0.5, 0.1, 1.0)]
    assert fc.comparison_table(rows).splitlines()[2].endswith("| 130 + 110 | - / - / - |")
    old = ours("idle", None, None, 0.2, 0.1, 2.0)
    old.cpu_window = 0.0  # results written before the window was recorded
    assert fc.Figures([*rows, old]).beyond_rest() == [None, None, None]


def test_sites_added_one_after_another_count_with_their_mean():
    rows = [
        ours("idle", None, None, 0.2, 0.1, 2.0),
        ours("new site", 1.0, 1.0, 0.5, 0.1, 1.0),
        ours("new site", 2.0, 3.0, 0.3, 0.1, 1.0, rss=(150.0, 100.0)),
    ]
    figures = fc.Figures(rows)
    assert figures.repeats("new site") == 2 and figures.repeats("apply") == 0
    assert figures.timings()[4] == 2.0  # Available after 1 s and 3 s
    assert figures.cpu()[2] == pytest.approx(0.5) and figures.cpu()[0] is None
    assert figures.beyond_rest()[2] == pytest.approx(0.2)  # 0.5 less 0.3 CPU s per 10.5 s over 10.5 s
    assert figures.rss() == [150.0, 110.0]  # the highest each process reached in any phase
    assert ", 1000/1000/5, new site: mean of 2 |" in fc.comparison_table(rows).splitlines()[2]


def test_a_timed_out_repeat_makes_the_mean_a_timeout():
    rows = [ours("new site", 1.0, 1.0, 0.5, 0.1, 1.0), ours("new site", 1.0, None, 0.5, 0.1, 1.0)]
    assert fc.Figures(rows).timings()[4] is None


def test_new_sites_option_takes_one_or_more(capsys: pytest.CaptureFixture[str]):
    with pytest.raises(SystemExit):
        fb.parse_args(["--new-sites", "0"])
    assert "--new-sites takes 1 or more" in capsys.readouterr().err


def test_comparison_without_a_peer_run_has_no_ratio_row():
    table = fc.comparison_table([ours("apply", None, None, 1.0, 1.0, 1.0)]).splitlines()
    assert len(table) == 3
    assert "| timeout | timeout | timeout / timeout | timeout |" in table[2]


def test_hook_table_lists_our_phases_only():
    rows = [ours("apply", 1.0, 2.0, 1.0, 1.0, 1.0), theirs("apply", 1.0, 2.0, 1.0, 1.0)]
    table = fc.hook_table(rows).splitlines()
    assert table[2] == "| 200 | 1000/1000/5 | apply | 20 | 30.0 / 1.50 | 0.50 | 0 | 0.0 | 0.00 | 0 | 0.00 | 0 | 0.00 |"
    assert len(table) == 3


def test_hook_table_counts_the_nodegroup_calls_apart():
    row = ours("idle", None, None, 1.0, 1.0, 1.0)
    row.nodegroup_calls, row.nodegroup_mb, row.nodegroup_busy = 7, 2.5, 0.25
    row_text = fc.hook_table([row]).splitlines()[2]
    assert row_text.endswith("| 20 | 30.0 / 1.50 | 0.50 | 7 | 2.5 | 0.25 | 0 | 0.00 | 0 | 0.00 |")


def test_hook_table_counts_the_summary_decorators_calls_apart():
    row = ours("idle", None, None, 1.0, 1.0, 1.0)
    row.summary_calls, row.summary_busy, row.mark_calls, row.mark_busy = 4, 0.01, 488, 0.27
    assert fc.hook_table([row]).splitlines()[2].endswith("| 0 | 0.0 | 0.00 | 4 | 0.01 | 488 | 0.27 |")


def test_grid_object_names_a_site_source_other_than_the_default():
    assert "siteSource" not in fb.grid_object()["spec"]
    assert fb.grid_object("NodeUnits")["spec"]["siteSource"] == "NodeUnits"


def test_grid_names_keep_the_single_grid_name_first():
    assert fb.grid_names(1) == [fb.GRID]
    assert fb.grid_names(3) == [fb.GRID, f"{fb.GRID}-g1", f"{fb.GRID}-g2"]
    second = fb.grid_object(name=f"{fb.GRID}-g1")
    assert second["metadata"]["name"] == f"{fb.GRID}-g1"
    assert second["spec"]["template"]["selector"] == {"matchLabels": {"app": f"{fb.GRID}-g1"}}


def test_live_units_skip_tombstones_and_other_keys():
    def unit(name, key, nodes):
        return {"metadata": {"name": f"nu-{name}"}, "spec": {"gridUniqKey": key, "unit": name, "nodes": nodes}}

    units = [unit("site-000", "site", ["n0"]), unit("site-001", "site", []), unit("x", "zone", ["n1"])]
    assert fb.live_units(units) == {"site-000"}


def test_calls_summary_adds_durations_and_bytes():
    calls = [{"duration_ms": 250, "request_bytes": 1_000_000}, {"duration_ms": None}, {}]
    assert fb.calls_summary(calls) == (3, 0.25, 1.0)
    assert fb.calls_summary([]) == (0, 0.0, 0.0)


def test_site_source_option_takes_only_the_two_sources(capsys: pytest.CaptureFixture[str]):
    with pytest.raises(SystemExit):
        fb.parse_args(["--site-source", "Zones"])
    assert "invalid choice: 'Zones'" in capsys.readouterr().err


def test_markdown_table_marks_a_milestone_the_peer_has_not():
    row = theirs("apply", 1.0, 2.5, 1.0, 1.0)
    assert "| apply | 1.0 | 2.5 | - |" in fb.markdown_table([row]).splitlines()[2]


def test_peak_rss_of_a_process_tree():
    assert fb.parse_peak_rss("Name:\tx\nVmPeak:\t  9 kB\nVmHWM:\t  2048 kB\nVmRSS:\t 1 kB\n") == 2048 * 1024 / 1e6
    assert fb.parse_peak_rss("Name:\tzombie\nState:\tZ\n") == 0.0
    stats = [(7, 1, 1.0), (42, 7, 5.0), (43, 7, 2.0), (44, 43, 0.5), (99, 1, 100.0)]
    assert sorted(fb.tree_pids(stats, 7)) == [7, 42, 43, 44]
    assert fb.tree_pids(stats, 12345) == [12345]


def test_peer_crds_are_read_from_its_source(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv(peer.SOURCE_VARIABLE, str(tmp_path))
    assert peer.find_source() is None
    with pytest.raises(FileNotFoundError, match=r"superedge\.io_deploymentgrids\.yaml"):
        peer.crd_paths(tmp_path)
    (tmp_path / peer.MANIFESTS).mkdir(parents=True)
    for name in peer.CRD_FILES:
        (tmp_path / peer.MANIFESTS / name).write_text("kind: CustomResourceDefinition\n")
    assert peer.find_source() == tmp_path
    assert [p.name for p in peer.crd_paths(tmp_path)] == list(peer.CRD_FILES)


def test_peer_binary_and_command_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv(peer.BINARY_VARIABLE, str(tmp_path / "missing"))
    assert peer.find_binary() is None
    binary = tmp_path / "agc"
    binary.write_text("")
    monkeypatch.setenv(peer.BINARY_VARIABLE, str(binary))
    assert peer.find_binary() == binary
    argv = peer.controller_argv(binary, Path("/k/config"), 1000.0, 1000)
    assert argv[0] == str(binary)
    assert "--kubeconfig=/k/config" in argv and "--kube-qps=1000" in argv and "--kube-burst=1000" in argv
    assert not any(a.startswith("--leader-elect") for a in argv)


def test_impl_option_is_checked():
    with pytest.raises(SystemExit):
        fb.parse_args(["--impl", "theirs"])


def test_node_grace_outlasts_two_heartbeat_intervals():
    assert fb.node_grace(30) == 90
    assert fb.node_grace(5) == 50  # never below the controller manager's default
    assert fb.node_grace(40) > 2 * 40


def test_a_crd_is_established_only_by_its_condition():
    assert peer.established({"status": {"conditions": [{"type": "Established", "status": "True"}]}})
    assert not peer.established({"status": {"conditions": [{"type": "Established", "status": "False"}]}})
    assert not peer.established({"status": {}})  # just created: no conditions yet
    assert not peer.established(None)
