"""CronJobGrid: one CronJob per unit, its Jobs' pods on the unit's nodes, per-site schedule, zone and suspend."""

from __future__ import annotations

import pytest

from hooks.grids import workload_grid
from hooks.grids.cronjob import CRONJOB, cronjob_ready
from tests.support.builders import NOW, children_map, site_nodes, sync_request, unstamped
from tests.support.kind_builders import cronjob_grid, cronjob_spec, observed_cronjob

CJ = "CronJob.batch/v1"


def sync(req, now=NOW):
    return workload_grid.sync(req, CRONJOB, now)


def request(parent, nodes, children=None):
    return sync_request(parent, nodes, children_map(children or []), child_type=CJ)


def by_name(resp):
    return {c["metadata"]["name"]: c for c in resp["children"]}


def synced(status):
    return next(c for c in status["conditions"] if c["type"] == "Synced")


def pod_of(child):
    return child["spec"]["jobTemplate"]["spec"]["template"]


def test_one_cronjob_per_unit_whose_job_pods_run_on_the_unit():
    kids = by_name(sync(request(cronjob_grid(), site_nodes(a=2, b=1))))
    assert sorted(kids) == ["nightly-a", "nightly-b"]
    a = kids["nightly-a"]
    assert a["kind"] == "CronJob" and a["apiVersion"] == "batch/v1"
    assert a["metadata"]["labels"] == {"site": "a", "superedge.io/grid-selector": "nightly"}
    assert unstamped(a["metadata"]["annotations"]) == {"superedge.io/grid-uniq-key": "site"}
    assert a["spec"]["schedule"] == "0 3 * * *"
    assert a["spec"]["jobTemplate"]["metadata"] == {"labels": {"site": "a"}}
    assert pod_of(a)["metadata"]["labels"] == {"app": "sync", "site": "a"}
    assert pod_of(a)["spec"]["nodeSelector"] == {"site": "a"}
    assert "selector" not in a["spec"] and "selector" not in a["spec"]["jobTemplate"]["spec"]


def test_a_manual_job_selector_gets_the_unit_too():
    template = cronjob_spec()
    job = template["jobTemplate"]["spec"]
    job["manualSelector"] = True
    job["selector"] = {"matchLabels": {"app": "sync"}}
    job_labels = {"team": "ops"}
    template["jobTemplate"]["metadata"] = {"labels": job_labels}
    child = sync(request(cronjob_grid(template=template), site_nodes(a=1)))["children"][0]
    assert child["spec"]["jobTemplate"]["spec"]["selector"] == {"matchLabels": {"app": "sync", "site": "a"}}
    assert child["spec"]["jobTemplate"]["metadata"]["labels"] == {"team": "ops", "site": "a"}


def test_a_manual_selector_that_misses_the_pods_fails_the_unit():
    template = cronjob_spec()
    template["jobTemplate"]["spec"]["selector"] = {"matchLabels": {"app": "other"}}
    resp = sync(request(cronjob_grid(template=template), site_nodes(a=1)))
    assert resp["children"] == []
    assert "spec.jobTemplate.spec.selector: does not match" in resp["status"]["states"]["a"]["error"]


def test_cronjob_names_stay_within_52_characters():
    name = "a-very-long-nightly-inventory-synchronisation"  # 44 characters
    kids = by_name(sync(request(cronjob_grid(name), site_nodes(**{"store-0001": 1}))))
    (child_name,) = kids
    assert len(child_name) <= 52 and child_name != f"{name}-store-0001"


def test_overrides_set_schedule_time_zone_and_suspend_per_site():
    overrides = [
        {"units": ["a"], "schedule": "30 1 * * *", "timeZone": "Europe/Berlin"},
        {"units": ["b"], "suspend": True},
        {"units": ["b"], "images": {"sync": "registry.example.com/sync:1.1"}},
        {
            "patch": [
                {
                    "op": "add",
                    "path": "/spec/jobTemplate/spec/template/spec/containers/0/args",
                    "value": ["--site={{unit}}"],
                }
            ]
        },
    ]
    kids = by_name(sync(request(cronjob_grid(overrides=overrides), site_nodes(a=1, b=1, c=1))))
    spec = {u: kids[f"nightly-{u}"]["spec"] for u in "abc"}
    assert (spec["a"]["schedule"], spec["a"]["timeZone"]) == ("30 1 * * *", "Europe/Berlin")
    assert spec["b"]["suspend"] is True and "suspend" not in spec["a"] and "suspend" not in spec["c"]
    assert spec["c"]["schedule"] == "0 3 * * *" and "timeZone" not in spec["c"]
    containers = {u: pod_of(kids[f"nightly-{u}"])["spec"]["containers"][0] for u in "abc"}
    assert containers["b"]["image"].endswith(":1.1") and containers["a"]["image"].endswith(":1.0")
    assert containers["c"]["args"] == ["--site=c"]


@pytest.mark.parametrize(
    "entry, message",
    [
        ({"replicas": 2}, "spec.overrides[0].replicas: a CronJobGrid has no replicas"),
        ({"schedule": "every day"}, "spec.overrides[0].schedule 'every day' is not a cron schedule"),
        ({"schedule": "TZ=UTC 0 3 * * *"}, "spec.overrides[0].schedule must not set a time zone"),
        ({"schedule": ""}, "spec.overrides[0].schedule must be a non-empty cron schedule"),
        ({"timeZone": 5}, "spec.overrides[0].timeZone must be a time zone name"),
        ({"suspend": "yes"}, "spec.overrides[0].suspend must be true or false"),
        ({"concurrencyPolicy": "Forbid"}, "unknown field(s) concurrencyPolicy; allowed: units, schedule, timeZone"),
    ],
)
def test_malformed_override_fields_are_an_invalid_spec_that_keeps_every_child(entry, message):
    first = sync(request(cronjob_grid(), site_nodes(a=1)))["children"]
    resp = sync(request(cronjob_grid(overrides=[entry]), site_nodes(a=1), [observed_cronjob(c) for c in first]))
    assert [c["metadata"]["name"] for c in resp["children"]] == ["nightly-a"]
    cond = synced(resp["status"])
    assert cond["reason"] == "InvalidSpec" and message in cond["message"]


@pytest.mark.parametrize(
    "path, value, message",
    [
        (
            ("jobTemplate", "spec", "template", "spec", "restartPolicy"),
            "Always",
            "a Job's pods need OnFailure or Never",
        ),
        (("schedule",), "@hourly extra", None),
        (("schedule",), "0 3 * *", "is not a cron schedule of 5 fields"),
        (("concurrencyPolicy",), "Sometimes", "spec.concurrencyPolicy: must be one of Allow, Forbid, Replace"),
        (("jobTemplate", "spec", "backoffLimit"), -1, "spec.jobTemplate.spec.backoffLimit"),
        (("successfulJobsHistoryLimit",), "3", "spec.successfulJobsHistoryLimit"),
        (
            ("jobTemplate", "spec", "template", "spec", "containers"),
            [],
            "spec.jobTemplate.spec.template.spec.containers",
        ),
    ],
)
def test_a_child_kubernetes_would_refuse_fails_its_unit(path, value, message):
    template = cronjob_spec()
    node = template
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    resp = sync(request(cronjob_grid(template=template), site_nodes(a=1)))
    if message is None:  # a descriptor with words after it is the API server's to judge
        assert len(resp["children"]) == 1
        return
    assert resp["children"] == []
    assert message in resp["status"]["states"]["a"]["error"]


def test_a_job_template_without_restart_policy_fails_with_a_clear_message():
    template = cronjob_spec()
    del template["jobTemplate"]["spec"]["template"]["spec"]["restartPolicy"]
    error = sync(request(cronjob_grid(template=template), site_nodes(a=1)))["status"]["states"]["a"]["error"]
    assert "restartPolicy: a Job's pods need OnFailure or Never, got None" in error


T0, T1, T2 = "2026-01-01T03:00:00Z", "2026-01-01T03:00:07Z", "2026-01-02T03:00:00Z"


@pytest.mark.parametrize(
    "status, ready",
    [
        ({}, True),  # never ran
        ({"lastScheduleTime": T0, "lastSuccessfulTime": T1}, True),
        ({"lastScheduleTime": T2, "lastSuccessfulTime": T1}, False),  # the last run failed
        ({"lastScheduleTime": T0}, False),  # ran once, never succeeded
        ({"lastScheduleTime": T2, "lastSuccessfulTime": T1, "active": [{"name": "j"}]}, True),  # running now
        ({"lastScheduleTime": T0, "lastSuccessfulTime": T0}, True),
        ({"lastScheduleTime": "garbage"}, True),
    ],
)
def test_cronjob_readiness(status, ready):
    assert cronjob_ready({"metadata": {"name": "x"}, "status": status}) is ready
    assert cronjob_ready(None) is False


def test_status_shows_last_schedule_last_success_active_jobs_and_suspension():
    parent = cronjob_grid(overrides=[{"units": ["b"], "suspend": True}])
    first = by_name(sync(request(parent, site_nodes(a=1, b=1))))
    live = [
        observed_cronjob(first["nightly-a"], lastScheduleTime=T2, lastSuccessfulTime=T1, active=[{"name": "j"}]),
        observed_cronjob(first["nightly-b"], lastScheduleTime=T2, lastSuccessfulTime=T1),
    ]
    status = sync(request(parent, site_nodes(a=1, b=1), live))["status"]
    assert status["states"]["a"] == {"active": 1, "lastScheduleTime": T2, "lastSuccessfulTime": T1, "ready": True}
    assert status["states"]["b"] == {
        "active": 0,
        "lastScheduleTime": T2,
        "lastSuccessfulTime": T1,
        "suspended": True,
        "ready": False,
    }
    assert status["readyUnits"] == 1
