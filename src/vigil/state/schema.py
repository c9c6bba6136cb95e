"""The state store's schema: numbered migrations, applied in order, recorded in
`schema_version`. A home of any earlier release opens and is brought up to date; a home
written by a newer release is refused rather than misread.

Migration 1 is the schema of release 0.1.0 as it was (each table `IF NOT EXISTS`, so a home
of that release, which has the tables but no version, takes it unchanged). Add a change as a
new number at the end; never edit one that has shipped.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from vigil.errors import ConfigError


@dataclass(frozen=True)
class Migration:
    version: int
    title: str
    apply: str | Callable[[sqlite3.Connection], None]  # SQL statements, or a step in Python


V1_TABLES: Final = """
-- manifest (lake.manifest)
CREATE TABLE IF NOT EXISTS objects (
    uri TEXT PRIMARY KEY,
    size INTEGER NOT NULL,
    version TEXT NOT NULL,
    sha256 TEXT,
    kind TEXT,
    status TEXT NOT NULL,          -- done | partial | failed | digest | duplicate | purged
    records INTEGER NOT NULL DEFAULT 0,
    rejected INTEGER NOT NULL DEFAULT 0,
    error TEXT,
    batch_id TEXT,
    ingested_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS objects_sha256 ON objects (sha256);
CREATE TABLE IF NOT EXISTS batches (
    batch_id TEXT PRIMARY KEY,
    status TEXT NOT NULL,          -- pending | committed
    files TEXT NOT NULL,           -- JSON list of lake paths this batch writes
    removes TEXT NOT NULL DEFAULT '[]',  -- JSON list of lake paths it replaces
    created_at TEXT NOT NULL,
    objects TEXT                   -- JSON list of the object records it commits
);

-- findings (findings.store)
CREATE TABLE IF NOT EXISTS findings (
    id TEXT PRIMARY KEY,
    unit TEXT NOT NULL,
    type TEXT NOT NULL,
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    severity REAL NOT NULL,
    account TEXT NOT NULL,
    region TEXT NOT NULL,
    resource_type TEXT NOT NULL,
    resource_id TEXT NOT NULL,
    key TEXT NOT NULL,
    evidence_query TEXT NOT NULL,
    mitre TEXT NOT NULL DEFAULT '[]',
    nist_csf TEXT NOT NULL DEFAULT '[]',
    workflow TEXT NOT NULL DEFAULT 'NEW',
    record_state TEXT NOT NULL DEFAULT 'ACTIVE',
    note TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS findings_type ON findings (type);
CREATE TABLE IF NOT EXISTS finding_hits (
    finding_id TEXT NOT NULL REFERENCES findings (id),
    window_start TEXT NOT NULL,
    first_seen TEXT NOT NULL,
    last_seen TEXT NOT NULL,
    count INTEGER NOT NULL,
    actor TEXT,
    summary TEXT,
    evidence TEXT NOT NULL DEFAULT '[]',
    PRIMARY KEY (finding_id, window_start)
);
CREATE TABLE IF NOT EXISTS suppressions (
    name TEXT PRIMARY KEY,
    criteria TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS watermarks (
    unit TEXT PRIMARY KEY,
    until TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

-- log groups (logs.groups)
CREATE TABLE IF NOT EXISTS log_groups (
    name TEXT PRIMARY KEY,
    account TEXT NOT NULL,
    region TEXT NOT NULL,
    created_ms INTEGER NOT NULL,
    retention_days INTEGER
);
CREATE TABLE IF NOT EXISTS log_streams (
    log_group TEXT NOT NULL,
    name TEXT NOT NULL,
    created_ms INTEGER NOT NULL,
    first_event_ms INTEGER,
    last_event_ms INTEGER,
    last_ingestion_ms INTEGER,
    stored_bytes INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (log_group, name)
);
CREATE TABLE IF NOT EXISTS deleted_groups (
    name TEXT NOT NULL,
    created_ms INTEGER NOT NULL,
    deleted_ms INTEGER NOT NULL
);

-- metric filters (logs.metric_filters)
CREATE TABLE IF NOT EXISTS metric_filters (
    log_group TEXT NOT NULL,
    name TEXT NOT NULL,
    pattern TEXT NOT NULL,
    metric_name TEXT NOT NULL,
    namespace TEXT NOT NULL,
    metric_value TEXT NOT NULL,
    default_value REAL,
    dimensions TEXT NOT NULL,      -- JSON {name: "$.field" | "$field"}
    unit TEXT NOT NULL,
    created_ms INTEGER NOT NULL,
    backfilled INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (log_group, name)
);

-- metrics (metrics.store)
CREATE TABLE IF NOT EXISTS metrics (
    id INTEGER PRIMARY KEY,
    namespace TEXT NOT NULL,
    name TEXT NOT NULL,
    dimensions TEXT NOT NULL,       -- JSON object, keys sorted
    UNIQUE (namespace, name, dimensions)
);
CREATE TABLE IF NOT EXISTS datapoints (
    metric_id INTEGER NOT NULL,
    ts INTEGER NOT NULL,            -- ms, truncated to the storage resolution
    unit TEXT NOT NULL,
    sample_count REAL NOT NULL,
    sum REAL NOT NULL,
    minimum REAL NOT NULL,
    maximum REAL NOT NULL,
    vals TEXT                       -- JSON [[value, count], ...] when known
);
CREATE INDEX IF NOT EXISTS datapoints_metric_ts ON datapoints (metric_id, ts);

-- alarms (metrics.alarms)
CREATE TABLE IF NOT EXISTS alarms (
    name TEXT PRIMARY KEY,
    definition TEXT NOT NULL,       -- JSON of the Alarm fields
    state TEXT NOT NULL,
    reason TEXT NOT NULL,
    reason_data TEXT NOT NULL,
    state_ms INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS alarm_history (
    name TEXT NOT NULL,
    ts INTEGER NOT NULL,
    kind TEXT NOT NULL,             -- ConfigurationUpdate | StateUpdate | Action
    summary TEXT NOT NULL,
    data TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS alarm_history_name ON alarm_history (name, ts);

-- events (events.bus)
CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    source TEXT NOT NULL,
    detail_type TEXT NOT NULL,
    created_ms INTEGER NOT NULL,
    event TEXT NOT NULL,            -- the envelope, JSON
    dispatched INTEGER NOT NULL DEFAULT 0
);

-- deliveries (events.delivery)
CREATE TABLE IF NOT EXISTS deliveries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    key TEXT NOT NULL UNIQUE,        -- idempotency key: event id, rule, target
    event_id TEXT NOT NULL,
    rule TEXT NOT NULL,
    target TEXT NOT NULL,
    payload TEXT NOT NULL,
    status TEXT NOT NULL,            -- pending | delivered | dlq
    attempts INTEGER NOT NULL DEFAULT 0,
    next_ms INTEGER NOT NULL,
    created_ms INTEGER NOT NULL,
    error_code TEXT,
    error TEXT,
    exhausted TEXT                   -- MaximumRetryAttempts | MaximumEventAgeInSeconds
);
CREATE INDEX IF NOT EXISTS deliveries_due ON deliveries (status, next_ms);
CREATE TABLE IF NOT EXISTS audit (
    ts INTEGER NOT NULL,
    rule TEXT NOT NULL,
    target TEXT NOT NULL,
    event_id TEXT NOT NULL,
    attempt INTEGER NOT NULL,
    result TEXT NOT NULL,            -- delivered | retry | dlq | planned
    excerpt TEXT
);
CREATE TABLE IF NOT EXISTS schedules (
    rule TEXT PRIMARY KEY,
    last_ms INTEGER NOT NULL
);

-- playbook runs (playbooks.run)
CREATE TABLE IF NOT EXISTS playbook_runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    ts INTEGER NOT NULL,
    playbook TEXT NOT NULL,
    event_id TEXT,
    applied INTEGER NOT NULL,
    plan TEXT NOT NULL,
    results TEXT NOT NULL
);
"""


def _batch_objects(db: sqlite3.Connection) -> None:
    """Homes from before 0.1.0 kept no object records with a pending batch."""
    columns = {row[1] for row in db.execute("PRAGMA table_info(batches)")}
    if "objects" not in columns:
        db.execute("ALTER TABLE batches ADD COLUMN objects TEXT")


V3_ACCESS: Final = """
-- access (vigil.access): who may use the server, and what they changed
CREATE TABLE IF NOT EXISTS users (
    name TEXT PRIMARY KEY,
    role TEXT NOT NULL,              -- viewer | analyst | admin
    password TEXT,                   -- scrypt$n$r$p$salt$hash, or NULL (no sign-in)
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS tokens (
    id TEXT PRIMARY KEY,             -- the token's public prefix
    user TEXT NOT NULL,
    digest TEXT NOT NULL UNIQUE,     -- SHA-256 of the whole token
    label TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    last_used_at TEXT
);
CREATE TABLE IF NOT EXISTS access_keys (
    access_key_id TEXT PRIMARY KEY,
    user TEXT NOT NULL,
    secret BLOB NOT NULL,            -- encrypted with <home>/secret.key
    status TEXT NOT NULL DEFAULT 'Active',
    created_at TEXT NOT NULL,
    last_used_at TEXT
);
CREATE TABLE IF NOT EXISTS audit_log (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    ts INTEGER NOT NULL,
    user TEXT NOT NULL,
    action TEXT NOT NULL,            -- e.g. logs:PutRetentionPolicy, api:findings.update
    target TEXT NOT NULL DEFAULT '',
    source TEXT NOT NULL DEFAULT '', -- the caller's address, or cli
    result TEXT NOT NULL DEFAULT 'ok',
    detail TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX IF NOT EXISTS audit_log_ts ON audit_log (ts);
CREATE TABLE IF NOT EXISTS cursors (
    source TEXT PRIMARY KEY,         -- an ingest source's position, its lag and last error
    data TEXT NOT NULL,
    updated_ms INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS subscriptions (
    log_group TEXT NOT NULL,         -- a log group's subscription filters (PutSubscriptionFilter)
    name TEXT NOT NULL,
    pattern TEXT NOT NULL,
    destination TEXT NOT NULL,       -- an event bus ARN
    distribution TEXT NOT NULL,
    created_ms INTEGER NOT NULL,
    PRIMARY KEY (log_group, name)
);
CREATE TABLE IF NOT EXISTS seen_requests (
    id TEXT PRIMARY KEY,             -- a delivery's request id (Firehose), so a retry is a no-op
    ts INTEGER NOT NULL
);
"""


def _playbook_approvals(db: sqlite3.Connection) -> None:
    """A run keeps what it was planned from (the event, role, endpoint) and who approved and
    applied it, so an admin can approve a plan that someone else carries out later."""
    columns = {row[1] for row in db.execute("PRAGMA table_info(playbook_runs)")}
    for name, kind in (("request", "TEXT"), ("approved_by", "TEXT"), ("approved_ms", "INTEGER"),
                       ("applied_by", "TEXT"), ("applied_ms", "INTEGER")):  # fmt: skip
        if name not in columns:
            db.execute(f"ALTER TABLE playbook_runs ADD COLUMN {name} {kind}")


def _console(db: sqlite3.Connection) -> None:
    """The console's: each finding's history read by target, an assignee per finding, its
    sessions (by the SHA-256 of their ids), and saved filters and queries (per user)."""
    db.execute("CREATE INDEX IF NOT EXISTS audit_log_target ON audit_log (target, seq)")
    if "assignee" not in {row[1] for row in db.execute("PRAGMA table_info(findings)")}:
        db.execute("ALTER TABLE findings ADD COLUMN assignee TEXT")
    db.execute(
        "CREATE TABLE IF NOT EXISTS console_sessions (id_sha256 TEXT PRIMARY KEY, "
        "user TEXT NOT NULL, csrf TEXT NOT NULL, started_ms INTEGER NOT NULL, "
        "seen_ms INTEGER NOT NULL)"
    )
    db.execute(
        "CREATE TABLE IF NOT EXISTS saved_views (kind TEXT NOT NULL, owner TEXT NOT NULL, "
        "name TEXT NOT NULL, data TEXT NOT NULL, created_ms INTEGER NOT NULL, "
        "PRIMARY KEY (kind, owner, name))"
    )


def _detection_kinds(db: sqlite3.Connection) -> None:
    """Findings say their ATT&CK tactics and the parameters their unit ran with; new-terms
    units keep, per unit and combination, when it was last seen (bounded: what is older than
    the unit's history window goes) and since when the unit has been watching."""
    columns = {row[1] for row in db.execute("PRAGMA table_info(findings)")}
    for name, default in (("tactics", "'[]'"), ("parameters", "'{}'")):
        if name not in columns:
            db.execute(f"ALTER TABLE findings ADD COLUMN {name} TEXT NOT NULL DEFAULT {default}")
    db.execute(
        "CREATE TABLE IF NOT EXISTS new_terms (unit TEXT NOT NULL, key TEXT NOT NULL, "
        "last_seen_ms INTEGER NOT NULL, PRIMARY KEY (unit, key))"
    )
    db.execute(
        "CREATE TABLE IF NOT EXISTS new_terms_accounts (unit TEXT NOT NULL, account TEXT NOT "
        "NULL, since_ms INTEGER NOT NULL, PRIMARY KEY (unit, account))"
    )
    db.execute(
        "CREATE TABLE IF NOT EXISTS new_terms_units (unit TEXT PRIMARY KEY, "
        "seeded_ms INTEGER NOT NULL)"
    )


_V7_LOGS: Final = """
CREATE TABLE IF NOT EXISTS log_group_tags (
    log_group TEXT NOT NULL,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (log_group, key)
);
CREATE TABLE IF NOT EXISTS export_tasks (
    task_id TEXT PRIMARY KEY,
    name TEXT,
    account TEXT NOT NULL,
    log_group TEXT NOT NULL,
    stream_prefix TEXT,
    from_ms INTEGER NOT NULL,
    to_ms INTEGER NOT NULL,
    destination TEXT NOT NULL,
    prefix TEXT NOT NULL,
    status TEXT NOT NULL,
    message TEXT,
    created_ms INTEGER NOT NULL,
    completed_ms INTEGER
);
"""


def _event_buses(db: sqlite3.Connection) -> None:
    """Custom event buses beside the default one, which every event stored before belongs to;
    archives of a bus's events and replays of them; Security Hub's custom insights."""
    if "bus" not in {row[1] for row in db.execute("PRAGMA table_info(events)")}:
        db.execute("ALTER TABLE events ADD COLUMN bus TEXT NOT NULL DEFAULT 'default'")
    for statement in _statements(V7_BUSES):
        db.execute(statement)


V7_BUSES: Final = """
CREATE TABLE IF NOT EXISTS event_buses (
    name TEXT PRIMARY KEY,
    description TEXT NOT NULL DEFAULT '',
    policy TEXT,                     -- a resource policy document, JSON, as given
    tags TEXT NOT NULL DEFAULT '[]',
    created_ms INTEGER NOT NULL,
    modified_ms INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS archives (
    name TEXT PRIMARY KEY,
    bus TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    pattern TEXT,                    -- an event pattern, JSON; NULL keeps every event
    retention_days INTEGER NOT NULL DEFAULT 0,  -- 0: kept for ever
    state TEXT NOT NULL DEFAULT 'ENABLED',
    created_ms INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS archived_events (
    archive TEXT NOT NULL,
    seq INTEGER NOT NULL,            -- the event's place on its bus (events.seq)
    event_ms INTEGER NOT NULL,       -- the event's own time, which replays select by
    size INTEGER NOT NULL,
    event TEXT NOT NULL,
    PRIMARY KEY (archive, seq)
);
CREATE INDEX IF NOT EXISTS archived_events_time ON archived_events (archive, event_ms);
CREATE TABLE IF NOT EXISTS archive_progress (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    seq INTEGER NOT NULL             -- the last event the archives have seen
);
CREATE TABLE IF NOT EXISTS replays (
    name TEXT PRIMARY KEY,
    archive TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    destination TEXT NOT NULL,       -- {"Arn": bus ARN, "FilterArns": [rule ARNs]}, JSON
    start_ms INTEGER NOT NULL,
    end_ms INTEGER NOT NULL,
    state TEXT NOT NULL,             -- STARTING RUNNING CANCELLING COMPLETED CANCELLED FAILED
    reason TEXT,
    position INTEGER NOT NULL DEFAULT 0,  -- the last archived event replayed (its seq)
    last_replayed_ms INTEGER,
    started_ms INTEGER NOT NULL,
    ended_ms INTEGER,
    account TEXT NOT NULL,
    region TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS hub_insights (
    id TEXT PRIMARY KEY,             -- the last part of the insight's ARN
    name TEXT NOT NULL,
    filters TEXT NOT NULL,           -- ASFF filters, JSON
    group_by TEXT NOT NULL,
    created_ms INTEGER NOT NULL
);
"""


def _v7(db: sqlite3.Connection) -> None:
    """Two changes made at once, one version: event buses (and their archives and replays)
    and CloudWatch Logs' tags and export tasks."""
    _event_buses(db)
    for statement in _statements(_V7_LOGS):
        db.execute(statement)


def _attempt_answers(db: sqlite3.Connection) -> None:
    """Each delivery attempt keeps what the target answered: the delivery it belongs to, the
    HTTP status, the first bytes of the body and the error, apart (the excerpt mixed them)."""
    columns = {row[1] for row in db.execute("PRAGMA table_info(audit)")}
    for name, kind in (("delivery", "INTEGER"), ("status", "INTEGER"), ("body", "TEXT"),
                       ("error", "TEXT")):  # fmt: skip
        if name not in columns:
            db.execute(f"ALTER TABLE audit ADD COLUMN {name} {kind}")
    db.execute("CREATE INDEX IF NOT EXISTS audit_delivery ON audit (delivery)")


def _hub_products(db: sqlite3.Connection) -> None:
    """Findings say which product reported them (Vigil, GuardDuty or another Security Hub
    product, as imported before: by their unit), its own severity and the standards a control
    is checked under; each imported document stream keeps its own latest version (so an older
    one arriving late is ignored); findings are linked by resource and behaviour."""
    columns = {row[1] for row in db.execute("PRAGMA table_info(findings)")}
    for name, default in (("product", "'vigil'"), ("product_name", "'Vigil'"),
                          ("product_severity", "''"), ("standards", "'[]'")):  # fmt: skip
        if name not in columns:
            db.execute(f"ALTER TABLE findings ADD COLUMN {name} TEXT NOT NULL DEFAULT {default}")
    db.execute(
        "UPDATE findings SET product = CASE WHEN unit = 'asff/GuardDuty' THEN 'guardduty' "
        "ELSE 'securityhub' END, product_name = substr(unit, 6) WHERE unit LIKE 'asff/%'"
    )
    for statement in _statements(V9_HUB):
        db.execute(statement)


V9_HUB: Final = """
CREATE INDEX IF NOT EXISTS findings_product ON findings (product);
CREATE TABLE IF NOT EXISTS finding_sources (
    source_id TEXT PRIMARY KEY,      -- one imported document's identity (ProductArn and Id)
    finding_id TEXT NOT NULL,        -- the hub finding it is read into
    updated_at TEXT NOT NULL,        -- its latest version taken (UpdatedAt, updatedAt)
    standard TEXT NOT NULL DEFAULT ''  -- the StandardsId a per-standard control came under
);
CREATE INDEX IF NOT EXISTS finding_sources_finding ON finding_sources (finding_id);
CREATE TABLE IF NOT EXISTS finding_links (
    finding_id TEXT NOT NULL,
    account TEXT NOT NULL,
    behaviour TEXT NOT NULL,         -- the finding type, normalised (findings.links)
    resource TEXT NOT NULL,          -- one name of its resource (instance id, key, bucket, ...)
    PRIMARY KEY (finding_id, behaviour, resource)
);
CREATE INDEX IF NOT EXISTS finding_links_lookup ON finding_links (account, behaviour, resource);
"""


MIGRATIONS: Final = (
    Migration(1, "the tables of release 0.1.0", V1_TABLES),
    Migration(2, "batches.objects for homes older than 0.1.0", _batch_objects),
    Migration(3, "users, tokens, access keys, the audit log, source cursors", V3_ACCESS),
    Migration(4, "playbook runs: the request, approvals", _playbook_approvals),
    Migration(5, "the console: history by target, assignees, sessions, saved views", _console),
    Migration(6, "findings' tactics and parameters; new-terms state", _detection_kinds),
    Migration(7, "event buses, archives, replays, hub insights; log tags, log exports", _v7),
    Migration(8, "delivery attempts: their delivery, status, body and error", _attempt_answers),
    Migration(9, "findings' products, versions per import, standards and links", _hub_products),
)
LATEST: Final = MIGRATIONS[-1].version


def version(db: sqlite3.Connection) -> int:
    db.execute(
        "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL, title TEXT NOT NULL, "
        "applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ')))"
    )
    row = db.execute("SELECT max(version) FROM schema_version").fetchone()
    return int(row[0] or 0)


def migrate(db: sqlite3.Connection, upto: int = LATEST) -> int:
    """Bring the database up to date (or up to version `upto`: a home as an older release
    left it) in one write transaction (two processes opening a home at once apply each step
    once); the version it is at."""
    if _current(db) == upto:  # the common case costs one read, no write lock
        return upto
    db.execute("BEGIN IMMEDIATE")
    try:
        at = version(db)
        if at > LATEST:
            raise ConfigError(
                f"this home's state is at schema version {at}; this Vigil knows up to {LATEST}",
                hint="upgrade Vigil (pip install -U cloudvigil) before opening this home",
            )
        for step in MIGRATIONS:
            if at < step.version <= upto:
                if isinstance(step.apply, str):
                    for statement in _statements(step.apply):
                        db.execute(statement)
                else:
                    step.apply(db)
                db.execute(
                    "INSERT INTO schema_version (version, title) VALUES (?, ?)",
                    (step.version, step.title),
                )
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")
    return max(at, upto)


def _current(db: sqlite3.Connection) -> int | None:
    try:
        row = db.execute("SELECT max(version) FROM schema_version").fetchone()
    except sqlite3.OperationalError:  # no such table: a new or a 0.1.0 home
        return None
    return int(row[0]) if row[0] is not None else None


def _statements(sql: str) -> list[str]:
    """`executescript` would commit the open transaction; statements run one by one inside it."""
    out, buffer = [], ""
    for line in sql.splitlines(keepends=True):
        buffer += line
        if sqlite3.complete_statement(buffer):
            out.append(buffer.strip())
            buffer = ""
    return [s for s in out if s]
