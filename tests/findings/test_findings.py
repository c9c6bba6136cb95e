"""The findings hub: aggregation by type and grouping key, idempotent hits, workflow rules."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers import hit, meta
from vigil.errors import VigilError
from vigil.findings.store import Filter, FindingStore
from vigil.model.finding import RecordState, Workflow, severity_label


@pytest.fixture
def store(tmp_path: Path) -> FindingStore:
    return FindingStore(tmp_path / "state.db")


def test_severity_labels_follow_guardduty() -> None:
    assert [severity_label(s) for s in (1.0, 3.9, 4.0, 6.9, 7.0, 8.9, 9.0)] == [
        "LOW", "LOW", "MEDIUM", "MEDIUM", "HIGH", "HIGH", "CRITICAL",
    ]  # fmt: skip


def test_same_type_and_key_aggregate_into_one_finding(store: FindingStore) -> None:
    m = meta()
    assert store.record(m, [hit(m.id, "2024-03-01T09:00:00Z", 40)])
    assert store.record(m, [hit(m.id, "2024-03-01T10:00:00Z", 7, "2024-03-01T10:05:00Z")])
    store.record(meta("198.51.100.9"), [hit(meta("198.51.100.9").id, "2024-03-01T09:00:00Z", 3)])
    found = store.find()
    assert len(found) == 2
    f = store.get(m.id[:8])
    assert (f.count, f.first_seen, f.last_seen) == (
        47,
        "2024-03-01T09:00:00Z",
        "2024-03-01T10:05:00Z",
    )
    assert f.summary == "7 probes"  # the latest hit's


def test_the_same_window_again_replaces_its_hit(store: FindingStore) -> None:
    m = meta()
    store.record(m, [hit(m.id, "2024-03-01T09:00:00Z", 40)])
    assert not store.record(m, [hit(m.id, "2024-03-01T09:00:00Z", 40)])  # nothing new
    assert store.record(m, [hit(m.id, "2024-03-01T09:00:00Z", 45)])  # late data in that window
    assert store.get(m.id).count == 45


def test_workflow_resets(store: FindingStore) -> None:
    m = meta()
    store.record(m, [hit(m.id, "2024-03-01T09:00:00Z", 1)])
    assert store.get(m.id).workflow is Workflow.NEW
    store.update(m.id, workflow=Workflow.RESOLVED)
    store.record(m, [hit(m.id, "2024-03-02T09:00:00Z", 1)])  # it happened again
    assert store.get(m.id).workflow is Workflow.NEW
    store.update(m.id, workflow=Workflow.SUPPRESSED)
    store.record(m, [hit(m.id, "2024-03-03T09:00:00Z", 1)])
    assert store.get(m.id).workflow is Workflow.SUPPRESSED  # the user's call stands
    store.update(m.id, workflow=Workflow.NOTIFIED, record_state=RecordState.ARCHIVED, note="seen")
    assert store.find() == [] and len(store.find(Filter(record_state="ARCHIVED"))) == 1
    f = store.update(m.id, record_state=RecordState.ACTIVE)  # ARCHIVED → ACTIVE resets NOTIFIED
    assert (f.workflow, f.record_state, f.note) == (Workflow.NEW, RecordState.ACTIVE, "seen")


def test_filters_and_unknown_ids(store: FindingStore) -> None:
    store.record(meta(severity=8.0), [hit(meta(severity=8.0).id, "2024-03-01T09:00:00Z", 1)])
    store.record(
        meta("198.51.100.9", 2.0), [hit(meta("198.51.100.9").id, "2024-03-05T09:00:00Z", 1)]
    )
    assert len(store.find(Filter(severity=7.0))) == 1
    assert len(store.find(Filter(type="Recon:"))) == 2
    assert len(store.find(Filter(since="2024-03-02"))) == 1
    with pytest.raises(VigilError, match="no finding"):
        store.get("ffff")


@pytest.mark.parametrize(
    ("glob", "found"),
    [("Recon:*", 1), ("Recon:", 1), ("*Portscan", 1), ("Recon:*/Portscan", 1), ("*:EC2/*", 1),
     ("Recon:EC2/Portscan", 1), ("recon:*", 0), ("Recon:?C2*", 0), ("Backdoor:*", 0),
     ("Recon:EC2", 1)],
)  # fmt: skip
def test_type_filter_takes_the_suppression_globs(
    store: FindingStore, glob: str, found: int
) -> None:
    """`findings list --type` and a suppression rule's `type=` read a glob the same way."""
    from vigil.findings.suppression import matches

    store.record(meta(), [hit(meta().id, "2024-03-01T09:00:00Z", 1)])
    assert len(store.find(Filter(type=glob))) == found
    if "*" in glob or glob == "Recon:EC2/Portscan":  # without `*` a suppression is exact
        assert matches({"type": glob}, store.find()[0]) is bool(found)
