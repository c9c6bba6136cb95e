"""The command tree as data: each top-level command and group, the module that defines it, and
its one-line help. `vigil --help` lists them from here; a command's own module and its options
are built only when that command runs, so the command line starts at once."""

from __future__ import annotations

from typing import Final

# name: (module, attribute, help). Groups are typer apps; the others are commands.
GROUPS: Final[dict[str, tuple[str, str, str]]] = {
    "lake": ("vigil.shells.cli.lake", "lake_app", "Inspect and maintain the lake."),
    "content": ("vigil.shells.cli.content", "content_app",
                "Content: detections, checks, metric filters, playbooks; list them, run their "
                "cases."),
    "findings": ("vigil.shells.cli.findings", "findings_app",
                 "The findings hub: list, show, triage."),
    "intel": ("vigil.shells.cli.intel", "intel_app",
              "Threat lists, trusted-IP lists and the organization's accounts."),
    "rules": ("vigil.shells.cli.rules", "rules_app",
              "Sigma rules (SigmaHQ format) run by vigil detect."),
    "logs": ("vigil.shells.cli.logs", "logs_app",
             "CloudWatch Logs: groups, streams, events and filter patterns."),
    "metrics": ("vigil.shells.cli.metrics", "metrics_app",
                "CloudWatch-style metrics: put, list, statistics."),
    "alarms": ("vigil.shells.cli.metrics", "alarms_app",
               "Metric alarms: put, list, evaluate, history."),
    "events": ("vigil.shells.cli.events", "events_app",
               "The event bus: events, patterns, rules, deliveries."),
    "playbooks": ("vigil.shells.cli.playbooks", "playbooks_app",
                  "Remediation playbooks (dry-run unless --apply)."),
    "trail": ("vigil.shells.cli.trail", "trail_app", "CloudTrail log-file integrity."),
    "posture": ("vigil.shells.cli.posture", "posture_app",
                "Posture of the logging set-up: snapshots and checks."),
    "users": ("vigil.shells.cli.access", "users_app", "Users of the server and their roles."),
    "tokens": ("vigil.shells.cli.access", "tokens_app", "API tokens (Bearer) for the server."),
    "keys": ("vigil.shells.cli.access", "keys_app",
             "Access keys for SigV4 clients (AWS CLI, SDKs, agents)."),
    "sources": ("vigil.shells.cli.sources", "sources_app",
                "What the server ingests continuously: SQS, S3 prefixes, directories, pushed "
                "log groups."),
    "quarantine": ("vigil.shells.cli.quarantine", "quarantine_app",
                   "Objects and records ingest could not take: list, show, retry, purge."),
}  # fmt: skip
COMMANDS: Final[dict[str, tuple[str, str, str]]] = {
    "ingest": ("vigil.shells.cli.lake", "ingest_command",
               "Read AWS logs (VPC Flow Logs, CloudTrail) into the lake; re-runs add only new "
               "objects."),
    "query": ("vigil.shells.cli.lake", "query_command",
              "Run SQL over the lake's tables (flow_logs, cloudtrail)."),
    "demo": ("vigil.shells.cli.demo", "demo_command",
             "AnyCompany: generate 3 accounts x 2 regions of logs with attacks, ingest, query, "
             "detect."),
    "detect": ("vigil.shells.cli.detect", "detect_command",
               "Run the enabled detection units over the lake and update findings."),
    "insights": ("vigil.shells.cli.logs", "insights_command",
                 "Run a CloudWatch Logs Insights query over log groups or a lake table."),
    "serve": ("vigil.shells.cli.serve", "serve_command",
              "Run the server: native API, AWS-compatible endpoints and the worker."),
    "agent": ("vigil.shells.cli.agent", "agent_command",
              "Ship log files and syslog to CloudWatch Logs (Vigil's or AWS's), with "
              "checkpoints."),
    "audit": ("vigil.shells.cli.access", "audit_command",
              "Every change made through the server: who, what, when, from where."),
    "run": ("vigil.shells.cli.worker", "run_command",
            "The worker: schedules, dispatch and deliveries, until SIGTERM or Ctrl-C."),
}  # fmt: skip
# Commands a group shows that another noun's module defines, added when the group is built:
# group: ((module, attribute, name), ...).
# Commands a group borrows from another noun's module, with their help, so that the group's
# `--help` lists them and only the one that runs is imported.
EXTRA_COMMANDS: Final[dict[str, tuple[tuple[str, str, str, str], ...]]] = {
    "logs": (  # the metric-filter commands of CloudWatch Logs' API, kept with the metrics
        ("vigil.shells.cli.metrics", "put_metric_filter", "put-metric-filter",
         "Create or replace a metric filter on a log group (PutMetricFilter)."),
        ("vigil.shells.cli.metrics", "metric_filters", "metric-filters",
         "Describe metric filters."),
        ("vigil.shells.cli.metrics", "delete_metric_filter", "delete-metric-filter",
         "Delete a metric filter."),
        ("vigil.shells.cli.metrics", "backfill_metric_filter", "backfill-metric-filter",
         "Apply a metric filter to the events stored before it existed (once)."),
        ("vigil.shells.cli.metrics", "install_pack_command", "install-pack",
         "Install a pack of metric filters, each with its alarm, on a log group."),
    ),
}  # fmt: skip


def help_of(name: str) -> str:
    return GROUPS[name][2]


def command_word(argv: list[str]) -> str | None:
    """The command a command line names (`logs` in `--home h logs put g s`), or None."""
    words = command_words(argv, 1)
    return words[0] if words else None


def command_words(argv: list[str], count: int) -> list[str]:
    """The first `count` words of the command line that are not options (nor --home's)."""
    skip = False
    words: list[str] = []
    for arg in argv:
        if skip:
            skip = False
        elif arg == "--home":
            skip = True
        elif not arg.startswith("-"):
            words.append(arg)
            if len(words) == count:
                break
    return words
