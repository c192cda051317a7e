"""bench/kinds.py stays runnable (a tiny size), and its requests are what it says: steady state, every unit
ready, the configs case really rewriting references."""

from bench import kinds
from hooks.server.app import hook_table


def test_every_case_is_a_steady_state_of_every_unit():
    for case, (route, request) in kinds.requests(10 * 5).items():
        answer = hook_table()[route](request, kinds.NOW)
        status = answer["status"]
        assert status["units"] == status["readyUnits"] == 10, (case, status)
        assert len(answer["children"]) == 10, case
        if case == "DeploymentGrid+configs":
            pod = answer["children"][0]["spec"]["template"]
            assert pod["spec"]["volumes"][0]["configMap"]["name"].startswith(f"{kinds.CONFIG_NAME}-store-")
            assert "superedge.io/config-hash" in pod["metadata"]["annotations"]


def test_main_prints_a_table(tmp_path, capsys):
    out = tmp_path / "kinds.json"
    assert (
        kinds.main(
            ["--sizes", "15", "--repeat", "1", "--min-seconds", "0", "--cases", "CronJobGrid", "--json", str(out)]
        )
        == 0
    )
    assert "| CronJobGrid | 3 |" in capsys.readouterr().out
