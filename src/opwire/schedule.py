"""Ready-to-install schedules for verify-all (seed § 7): a crontab line, a systemd service and
timer, or a Kubernetes CronJob. Never prints; the CLI does.

The cadence is the seed's: daily for the first 14 days after the rollout, failures paging the
operator; weekly in steady state, failures opening a low-priority ticket. Each runs
`opwire verify` with paging and a heartbeat, so a failure reaches a person and a schedule that
stops running is noticed too.

Pages followed: crontab(5) (fields, `%` is a newline), systemd.service(5), systemd.timer(5),
systemd.time(7) (OnCalendar), kubernetes.io/docs/concepts/workloads/controllers/cron-jobs/
(batch/v1 CronJob: concurrencyPolicy, startingDeadlineSeconds, jobTemplate).
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass

import yaml

# 06:17 UTC: after the night's deploys, before the working day; off the hour, as cron advises.
MINUTE, HOUR = 17, 6
CADENCES = {
    # cadence: (cron day-of-week field, systemd OnCalendar, --on-failure, what the seed says)
    "daily": ("*", f"*-*-* {HOUR:02d}:{MINUTE:02d}:00 UTC", "page", "daily, failures page"),
    "weekly": ("1", f"Mon *-*-* {HOUR:02d}:{MINUTE:02d}:00 UTC", "ticket", "weekly, a ticket"),
}
NAME = "opwire-verify"
RUN_DEADLINE_S = (
    600  # a verify run is bounded by its budget (90 s by default): ten minutes is ample
)


@dataclass(frozen=True, slots=True)
class Plan:
    cadence: str
    checkout: str  # the repository the schedule runs in (cron, systemd)
    mode: str = "real_all"
    heartbeat: str = NAME
    ping_url: str | None = None
    image: str = "opwire:latest"
    secret: str = "opwire-credentials"

    def argv(self, opwire: str) -> list[str]:
        """The scheduled command: verify with paging and the dead man's switch."""
        on_failure = CADENCES[self.cadence][2]
        args = [opwire, "verify", "--mode", self.mode, "--on-failure", on_failure]
        args += ["--heartbeat", self.heartbeat]
        if self.ping_url:
            args += ["--ping-url", self.ping_url]
        return args


def crontab(plan: Plan) -> str:
    """One crontab line (crontab(5)): `%` would end the command, so none is used."""
    day_of_week = CADENCES[plan.cadence][0]
    command = " ".join(shlex.quote(a) for a in plan.argv("./opwire"))
    line = f"cd {shlex.quote(plan.checkout)} && mkdir -p state && {command} >> state/cron.log 2>&1"
    return (
        f"# opwire verify-all, {CADENCES[plan.cadence][3]} (seed § 7); install with crontab -e\n"
        # A % ends a crontab command unless escaped (crontab(5)).
        f"{MINUTE} {HOUR} * * {day_of_week} {line.replace('%', chr(92) + '%')}\n"
    )


def systemd(plan: Plan) -> dict[str, str]:
    """The service and timer unit files, by name."""
    exec_start = " ".join(_systemd_quote(a) for a in plan.argv(f"{plan.checkout}/opwire"))
    service = "\n".join(
        [
            "[Unit]",
            f"Description=opwire verify-all, {CADENCES[plan.cadence][3]} (seed § 7)",
            "Wants=network-online.target",
            "After=network-online.target",
            "",
            "[Service]",
            "Type=oneshot",
            f"WorkingDirectory={plan.checkout}",
            f"ExecStart={exec_start}",
            # A HOLD (exit 3) is reported by the run itself (paging); it is not a unit failure.
            "SuccessExitStatus=3",
            f"TimeoutStartSec={RUN_DEADLINE_S}",
            "NoNewPrivileges=yes",
            "PrivateTmp=yes",
            "",
        ]
    )
    timer = "\n".join(
        [
            "[Unit]",
            f"Description=Run {NAME}.service, {plan.cadence}",
            "",
            "[Timer]",
            f"OnCalendar={CADENCES[plan.cadence][1]}",
            "Persistent=true",
            "RandomizedDelaySec=120",
            "",
            "[Install]",
            "WantedBy=timers.target",
            "",
        ]
    )
    return {f"{NAME}.service": service, f"{NAME}.timer": timer}


def _systemd_quote(arg: str) -> str:
    """systemd.service(5) command-line quoting: double quotes, backslash escapes, `%` doubled
    (a specifier otherwise)."""
    arg = arg.replace("%", "%%")
    if arg and all(c.isalnum() or c in "-_./:=@+," for c in arg):
        return arg
    return '"' + arg.replace("\\", "\\\\").replace('"', '\\"') + '"'


def cronjob(plan: Plan) -> dict[str, object]:
    """A batch/v1 CronJob: credentials from a Kubernetes Secret (as environment variables, which
    win over any .env.local), one run at a time, and a deadline."""
    day_of_week = CADENCES[plan.cadence][0]
    return {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": {"name": NAME, "labels": {"app.kubernetes.io/name": "opwire"}},
        "spec": {
            "schedule": f"{MINUTE} {HOUR} * * {day_of_week}",
            "timeZone": "Etc/UTC",
            "concurrencyPolicy": "Forbid",
            "startingDeadlineSeconds": 300,
            "successfulJobsHistoryLimit": 3,
            "failedJobsHistoryLimit": 5,
            "jobTemplate": {
                "spec": {
                    "backoffLimit": 0,
                    "activeDeadlineSeconds": RUN_DEADLINE_S,
                    "template": {
                        "metadata": {"labels": {"app.kubernetes.io/name": "opwire"}},
                        "spec": {
                            "restartPolicy": "Never",
                            "containers": [
                                {
                                    "name": "verify",
                                    "image": plan.image,
                                    "args": plan.argv("opwire")[1:],
                                    "command": ["opwire"],
                                    "envFrom": [{"secretRef": {"name": plan.secret}}],
                                    "env": [
                                        {"name": "OPERATOR_WIRING_ENV_FILE", "value": "/dev/null"},
                                        {"name": "OPERATOR_WIRING_STATE_DIR", "value": "/state"},
                                    ],
                                    "volumeMounts": [{"name": "state", "mountPath": "/state"}],
                                    "securityContext": {
                                        "allowPrivilegeEscalation": False,
                                        "readOnlyRootFilesystem": True,
                                        "runAsNonRoot": True,
                                        # A number: a named USER cannot be checked as non-root.
                                        "runAsUser": 65534,
                                    },
                                }
                            ],
                            # Replace with a PersistentVolumeClaim to keep the run history
                            # and state/paging.json (else a page is never resolved by a later
                            # green run).
                            "volumes": [{"name": "state", "emptyDir": {}}],
                        },
                    },
                }
            },
        },
    }


def cronjob_yaml(plan: Plan) -> str:
    header = (
        f"# opwire verify-all, {CADENCES[plan.cadence][3]} (seed § 7). The credentials come from\n"
        f"# the Secret {plan.secret!r} (kubectl create secret generic {plan.secret} "
        "--from-env-file=.env.local)\n"
    )
    return header + yaml.safe_dump(cronjob(plan), sort_keys=False)
