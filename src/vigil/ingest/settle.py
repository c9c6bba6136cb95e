"""Account for each processed object: its rows into a batch, its record into the manifest, what
could not be taken into quarantine, and all of it into the report.

Rules that keep a re-run safe:
- an object rejected as a whole is recorded `failed`, which keeps it eligible: the next run (with
  the fix) reads it again;
- an object ingested before (re-ingested, or rewritten in place with other content) replaces its
  earlier rows in the same atomic batch as its new ones: each record once;
- an object ingested before that is now rejected as a whole keeps its earlier rows and record.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from vigil.config import Settings
from vigil.errors import FormatError
from vigil.formats.common import Reject
from vigil.ingest import quarantine
from vigil.ingest.classify import TABLE_OF
from vigil.ingest.options import FindingsSink, IngestOptions, IngestReport
from vigil.ingest.work import Outcome
from vigil.lake.manifest import Manifest, ObjectRecord
from vigil.lake.tables import UNKNOWN
from vigil.lake.writer import Batch

SHOWN = 20  # rejected records listed per object in the report


@dataclass
class Settler:
    settings: Settings
    options: IngestOptions
    manifest: Manifest
    report: IngestReport
    replacing: dict[str, str]  # URI → the table holding its earlier rows
    findings: FindingsSink | None = None  # where GuardDuty and Security Hub findings go

    def settle(self, out: Outcome, batches: dict[str, Batch]) -> int:
        """Account for one processed object; returns the records it adds."""
        obj, report = out.obj, self.report
        base = ObjectRecord(obj.uri, obj.size, obj.version, out.sha256 or None, None, "failed")
        old_table = self.replacing.get(obj.uri)
        if out.seen == "same":  # rewritten with identical content (new mtime): nothing new
            report.already_seen += 1
            self.manifest.refresh(obj.uri, obj.size, obj.version)
            return 0
        if out.seen == "copy":
            report.duplicates += 1
            note = f"{obj.uri}: same content as {out.copy_of}; skipped"
            report.notices.append(note)
            record = replace(base, status="duplicate", error=note)
            if old_table:  # its earlier content's rows go with it
                batches[old_table].replaces.add(obj.uri)
                batches[old_table].objects.append(record)
            else:
                self.manifest.record_now(record)
            return 0
        if out.error is not None and out.parsed is None:
            self._reject_whole(out, base, out.error, [], old_table)
            return 0
        assert out.parsed is not None
        kind = out.parsed.kind
        if kind == "digest":
            report.digests += 1
            self.manifest.record_now(replace(base, kind="digest", status="digest"))
            return 0
        if out.parsed.findings is not None:
            return self._findings(out, base)
        result = out.parsed.result
        assert result is not None
        report.notices.extend(result.notices)
        rejects = result.rejects
        if rejects and out.rows == 0:  # nothing taken: as good as a whole-file rejection
            reason = out.partial or f"all {len(rejects)} record(s) rejected ({rejects[0].reason})"
            self._reject_whole(out, base, reason, rejects, old_table)
            return 0
        status, error = "done", None
        if rejects or out.partial:
            status = "partial"
            error = out.partial or f"{len(rejects)} record(s) rejected"
            self._quarantine(out, error, rejects, "partial")
            report.rejected += len(rejects)
        elif quarantine.clear(self.settings.quarantine_dir, obj.uri):
            report.released += 1
        table_name = TABLE_OF[kind]
        report.ingested += 1
        report.records[table_name] += out.rows
        batch = batches[table_name]
        for key, part in out.parts:
            batch.add(key, part)
            if key[0] == UNKNOWN:
                report.unknown_account[table_name] = (
                    report.unknown_account.get(table_name, 0) + part.num_rows
                )
        record = replace(
            base, kind=kind, status=status, records=out.rows, rejected=len(rejects), error=error
        )
        batch.objects.append(record)
        if old_table:
            batches[old_table].replaces.add(obj.uri)
            report.reprocessed += 1
        return out.rows

    def _findings(self, out: Outcome, base: ObjectRecord) -> int:
        """Findings go to the hub (the sink), which updates each finding in place: taking an
        object again duplicates nothing."""
        found = out.parsed.findings if out.parsed else None
        assert found is not None
        rejects = list(found.rejects)
        if self.findings is None:
            reason = "findings go to the findings hub: ingest them with vigil ingest"
            self._reject_whole(out, base, reason, [], None)
            return 0
        refused = self.findings(found.product, found.docs, out.obj.uri)
        for reject in refused:
            line, prefix = found.where(reject.line) if reject.line is not None else (None, "")
            rejects.append(Reject(line, prefix + reject.reason, reject.raw))
        taken = len(found.docs) - len(refused)
        if taken <= 0:
            reason = "no findings in the object"
            if rejects:
                reason = f"all {len(rejects)} finding(s) refused ({rejects[0].reason})"
            self._reject_whole(out, base, reason, rejects, None)
            return 0
        status, error = "done", None
        if rejects or out.partial:
            status, error = "partial", out.partial or f"{len(rejects)} finding(s) refused"
            self._quarantine(out, error, rejects, "partial")
            self.report.rejected += len(rejects)
        elif quarantine.clear(self.settings.quarantine_dir, out.obj.uri):
            self.report.released += 1
        self.report.ingested += 1
        self.report.findings[found.product] = self.report.findings.get(found.product, 0) + taken
        self.manifest.record_now(replace(base, kind=found.product, status=status, records=taken,
                                         rejected=len(rejects), error=error))  # fmt: skip
        return taken

    def _reject_whole(
        self,
        out: Outcome,
        base: ObjectRecord,
        reason: str,
        rejects: list[Reject],
        old_table: str | None,
    ) -> None:
        self._quarantine(out, reason, rejects, "failed")
        self.report.rejected += len(rejects)
        if old_table:  # taken before: keep those rows and that record, report the rejection
            self.report.notices.append(
                f"{out.obj.uri}: rejected this time; the rows ingested before are kept"
            )
            return
        self.manifest.record_now(replace(base, error=reason, rejected=len(rejects)))

    def _quarantine(self, out: Outcome, reason: str, rejects: list[Reject], status: str) -> None:
        uri, report = out.obj.uri, self.report
        folder = quarantine.quarantine(
            self.settings.quarantine_dir,
            uri,
            out.sha256 or "",
            reason,
            rejects,
            out.original,
            status=status,
            options=self.options.recorded(),
        )
        report.quarantined.append(
            {"id": folder.name, "uri": uri, "reason": reason, "folder": str(folder)}
        )
        for r in rejects[:SHOWN]:
            report.problems.append(f"{r.where(uri)}: {r.reason}")
        if len(rejects) > SHOWN:
            report.problems.append(f"{uri}: … and {len(rejects) - SHOWN} more rejected records")
        if not rejects:
            report.problems.append(reason if reason.startswith(uri) else f"{uri}: {reason}")
        if self.options.errors == "raise":  # kept in quarantine first: nothing is lost
            first = rejects[0] if rejects else None
            raise FormatError(
                first.reason if first else reason.removeprefix(f"{uri}: "),
                source=uri,
                line=first.line if first else None,
                hint=f"it is in quarantine as {folder.name}: vigil quarantine show {folder.name}",
            )
