"""batch: Job and CronJob specs.

Why this module exists: the sandbox serves Jobs and CronJobs like the other built-in kinds, so one that
a cluster refuses must be refused here. A Job's pods must not restart in place (an absent policy,
defaulted to ``Always``, is answered ``Required value`` with the valid values); a CronJob's name may have
at most 52 characters, because its controller appends an 11-character suffix to make a Job name.

Deliberate limit: a schedule is checked for the shape ``cron.ParseStandard`` insists on (five fields
or a known ``@descriptor``, and no ``TZ``), not for field ranges, so the emulator may accept a schedule
a cluster refuses, never the other way round.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from .errors import FieldError, child, invalid, required, unsupported
from .names import max_len
from .pods import pod_template
from .values import as_map, as_str, enumerated, nonnegative

_JOB_COUNTERS: Final = (
    "parallelism",
    "completions",
    "activeDeadlineSeconds",
    "backoffLimit",
    "ttlSecondsAfterFinished",
)
_CRONJOB_COUNTERS: Final = ("startingDeadlineSeconds", "successfulJobsHistoryLimit", "failedJobsHistoryLimit")
_CONCURRENCY_POLICIES: Final = ("Allow", "Forbid", "Replace")
_JOB_RESTART_POLICIES: Final = ("OnFailure", "Never")
_CRON_DESCRIPTORS: Final = frozenset(
    {"@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"}
)
_CRONJOB_NAME_LIMIT: Final = 52  # the controller appends an 11-character suffix to make a Job name


def check_job(obj: Mapping[str, Any]) -> list[FieldError]:
    return _job_spec(as_map(obj.get("spec")), "spec")


def _job_spec(spec: Mapping[str, Any], path: str) -> list[FieldError]:
    template, template_path = as_map(spec.get("template")), child(path, "template")
    return [
        *nonnegative(spec, path, _JOB_COUNTERS),
        *pod_template(template, template_path),
        *_job_restart_policy(as_map(template.get("spec")).get("restartPolicy"), child(template_path, "spec")),
    ]


def _job_restart_policy(policy: Any, path: str) -> list[FieldError]:
    """A Job's pods must not restart in place; an absent policy was defaulted to ``Always``."""
    here = child(path, "restartPolicy")
    if policy in (None, "", "Always"):
        return [required(here, 'valid values: "OnFailure", "Never"')]
    return [] if policy in _JOB_RESTART_POLICIES else [unsupported(here, policy, _JOB_RESTART_POLICIES)]


def check_cronjob(obj: Mapping[str, Any]) -> list[FieldError]:
    spec = as_map(obj.get("spec"))
    name = as_str(as_map(obj.get("metadata")).get("name"))
    too_long = len(name) > _CRONJOB_NAME_LIMIT
    return [
        *_schedule(spec.get("schedule")),
        *nonnegative(spec, "spec", _CRONJOB_COUNTERS),
        *enumerated(spec.get("concurrencyPolicy"), "spec.concurrencyPolicy", _CONCURRENCY_POLICIES),
        *_job_spec(as_map(as_map(spec.get("jobTemplate")).get("spec")), "spec.jobTemplate.spec"),
        *([invalid("metadata.name", name, max_len(_CRONJOB_NAME_LIMIT))] if too_long else []),
    ]


def _schedule(value: Any) -> list[FieldError]:
    schedule = as_str(value)
    if not schedule:
        return [required("spec.schedule")]
    errors = [invalid("spec.schedule", schedule, message) for message in _cron_errors(schedule)]
    if "TZ" in schedule:
        errors.append(
            invalid(
                "spec.schedule", schedule, "cannot use TZ or CRON_TZ in schedule, use timeZone field instead"
            )
        )
    return errors


def _cron_errors(schedule: str) -> list[str]:
    """The shape ``cron.ParseStandard`` insists on; field ranges are not checked (permissive)."""
    spec = schedule.partition(" ")[2].strip() if schedule.startswith(("TZ=", "CRON_TZ=")) else schedule
    if spec.startswith("@"):
        known = spec in _CRON_DESCRIPTORS or spec.startswith("@every ")
        return [] if known else [f"unrecognized descriptor: {spec}"]
    fields = spec.split()
    return (
        [] if len(fields) == 5 else [f"expected exactly 5 fields, found {len(fields)}: [{' '.join(fields)}]"]
    )
