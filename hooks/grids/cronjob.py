"""The CronJobGrid kind: one CronJob per unit, whose Jobs' pods run only on that unit's nodes.

A CronJob has no selector of its own and no replicas: the unit goes into the pod template of its job
template (labels and ``nodeSelector``, as for a Deployment) and into the job template's labels, so every Job
and pod says which site it ran for. A job template that sets its own ``selector`` (``manualSelector``) gets
the unit in it too, so the Jobs of sibling CronJobs never select each other's pods.

Per-unit ``overrides`` may set ``schedule``, ``timeZone`` and ``suspend`` directly (a shop's nightly job in
its own time zone, one site paused), besides ``images`` and ``patch``.

**Readiness** (a decision of this project; docs/reference.md, CronJobGrid): a CronJob has no
``observedGeneration`` and no pod count, so a unit is ready when its CronJob exists and its last run did not
fail: a Job is running (``status.active``), or it never ran (no ``lastScheduleTime``), or the last success is
no older than the last schedule (``lastSuccessfulTime >= lastScheduleTime``: the CronJob controller sets the
first to the finishing time of a Job that succeeded, so a successful latest run is never older than its
schedule). A suspended CronJob is judged the same way: suspending is what the spec asked for. Whether the
CronJob took the latest render is ``Synced``'s and the rollout's question, as for every child.
"""

from __future__ import annotations

from collections.abc import Mapping

from hooks.grids.overrides import EntryRules, FieldRule
from hooks.grids.workload import WorkloadKind
from hooks.grids.workload_checks import Invalid, is_count, object_at
from hooks.kube.errors import SpecError
from hooks.kube.names import STATEFULSET_NAME_MAX
from hooks.kube.objects import mapping
from hooks.kube.times import parse_time

POD_PATH = ("spec", "jobTemplate", "spec", "template")
CONCURRENCY_POLICIES = ("Allow", "Forbid", "Replace")
JOB_RESTART_POLICIES = ("OnFailure", "Never")
CRONJOB_NAME_MAX = STATEFULSET_NAME_MAX
"""52: the CronJob controller names each Job ``<cronjob>-<minutes since the epoch>`` (11 more characters),
and Kubernetes refuses a longer CronJob name."""
JOB_COUNTS = ("parallelism", "completions", "backoffLimit", "activeDeadlineSeconds", "ttlSecondsAfterFinished")


def schedule_problem(value: object) -> str | None:
    """Why ``value`` is not a schedule the API server would take, as far as a cheap check can tell."""
    if not isinstance(value, str) or not value.strip():
        return f"must be a non-empty cron schedule, got {value!r}"
    if "TZ=" in value:
        return "must not set a time zone (TZ= or CRON_TZ=): use timeZone"
    if not value.startswith("@") and len(value.split()) != 5:
        return f"{value!r} is not a cron schedule of 5 fields (minute hour day-of-month month day-of-week)"
    return None


def check_schedule(value: object, where: str) -> str:
    problem = schedule_problem(value)
    if problem:
        raise SpecError(f"{where} {problem}")
    return value  # type: ignore[return-value]


def check_time_zone(value: object, where: str) -> str:
    """A time zone name (``Europe/Berlin``); the API server checks it is one it knows."""
    if not isinstance(value, str) or not value or value != value.strip():
        raise SpecError(f"{where} must be a time zone name such as Europe/Berlin, got {value!r}")
    return value


def check_suspend(value: object, where: str) -> bool:
    if not isinstance(value, bool):
        raise SpecError(f"{where} must be true or false, got {value!r}")
    return value


def check_cronjob(child: Mapping) -> None:
    """What Kubernetes refuses in a CronJob and the shared checks do not cover."""
    spec = mapping(child, "spec")
    problem = schedule_problem(spec.get("schedule"))
    if problem:
        raise Invalid("spec.schedule", problem)
    if "timeZone" in spec and not isinstance(spec["timeZone"], str):
        raise Invalid("spec.timeZone", "must be a string")
    if "suspend" in spec and not isinstance(spec["suspend"], bool):
        raise Invalid("spec.suspend", "must be true or false")
    if spec.get("concurrencyPolicy", "Allow") not in CONCURRENCY_POLICIES:
        raise Invalid("spec.concurrencyPolicy", f"must be one of {', '.join(CONCURRENCY_POLICIES)}")
    job = object_at(object_at(spec.get("jobTemplate"), "spec.jobTemplate").get("spec"), "spec.jobTemplate.spec")
    for name in JOB_COUNTS:
        if name in job and not is_count(job[name]):
            raise Invalid(f"spec.jobTemplate.spec.{name}", f"must be a non-negative integer, got {job[name]!r}")
    pod_spec = mapping(mapping(job, "template"), "spec")
    if pod_spec.get("restartPolicy") not in JOB_RESTART_POLICIES:
        raise Invalid(
            "spec.jobTemplate.spec.template.spec.restartPolicy",
            f"a Job's pods need OnFailure or Never, got {pod_spec.get('restartPolicy')!r}",
        )


def cronjob_ready(observed: Mapping | None) -> bool:
    """The CronJob exists and its last run did not fail (the module's docstring says why this rule)."""
    if observed is None:
        return False
    status = mapping(observed, "status")
    if _active(status):
        return True
    scheduled = parse_time(status.get("lastScheduleTime"))
    if scheduled is None:
        return True
    succeeded = parse_time(status.get("lastSuccessfulTime"))
    return succeeded is not None and succeeded >= scheduled


def cronjob_state(observed: Mapping) -> dict:
    """``active`` (running Jobs), ``lastScheduleTime``, ``lastSuccessfulTime`` and ``suspended`` (when the
    CronJob is suspended) for ``status.states[unit]``."""
    status = mapping(observed, "status")
    state: dict = {"active": _active(status)}
    for name in ("lastScheduleTime", "lastSuccessfulTime"):
        if isinstance(status.get(name), str):
            state[name] = status[name]
    if mapping(observed, "spec").get("suspend") is True:
        state["suspended"] = True
    return state


def _active(status: Mapping) -> int:
    active = status.get("active")
    return len(active) if isinstance(active, list) else 0


CRONJOB = WorkloadKind(
    grid_kind="CronJobGrid",
    kind="CronJob",
    api_version="batch/v1",
    name_max=CRONJOB_NAME_MAX,
    status_figures=(),
    pod_path=POD_PATH,
    selector_path=("spec", "jobTemplate", "spec", "selector"),
    selector_required=False,
    label_paths=(("spec", "jobTemplate", "metadata"),),
    ready=cronjob_ready,
    extra_state=cronjob_state,
    counts=("startingDeadlineSeconds", "successfulJobsHistoryLimit", "failedJobsHistoryLimit"),
    checks=check_cronjob,
    overrides=EntryRules(
        "CronJobGrid",
        replicas=False,
        fields={
            "schedule": FieldRule(check_schedule),
            "timeZone": FieldRule(check_time_zone),
            "suspend": FieldRule(check_suspend),
        },
        pod_path=POD_PATH,
    ),
)
