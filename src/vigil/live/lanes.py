"""The lanes objects arrive by. Each `poll` finds what is new (it may hand over objects the
manifest already has: committing skips them, so a duplicate is harmless) and each `done` is
told when they are committed, so nothing is acknowledged before it is in the lake.

- SQS: S3 event notifications, sent directly, wrapped by SNS, or as EventBridge's "Object
  Created"; `s3:TestEvent` is dropped. Messages are received with a visibility timeout of at
  most 30 s, kept invisible while their objects are read (extended every third of it), and
  deleted only once those are committed.
- S3 polling: a `StartAfter` cursor over the prefix (at most 10 ListObjectsV2 pages a poll),
  plus a re-list of the recent folders (dated folders of today and yesterday) for keys that
  arrive behind the cursor. The state is the cursor and those folders: bounded.
- Directories: listed each poll; files already committed are skipped by the manifest.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, Final
from urllib.parse import unquote_plus

from vigil.inputs import loads
from vigil.live.sources import Position, Source
from vigil.sources.keys import parse_key
from vigil.sources.objects import Reader, SourceObject

MAX_PAGES: Final = 10
VISIBILITY: Final = 30


@dataclass
class Batch:
    objects: list[SourceObject]
    handles: list[str] = field(default_factory=list)  # SQS receipt handles to delete after
    newest_ms: int | None = None  # when the newest object was written (for the lag)


def session(source: Source) -> Any:
    """AWS credentials from the standard chain, or the source's profile, or its role."""
    import boto3

    if source.profile:
        return boto3.Session(profile_name=source.profile, region_name=source.region)
    base = boto3.Session(region_name=source.region)
    if not source.role_arn:
        return base
    sts = base.client("sts", endpoint_url=source.endpoint_url)
    creds = sts.assume_role(RoleArn=source.role_arn, RoleSessionName="vigil")["Credentials"]
    return boto3.Session(aws_access_key_id=creds["AccessKeyId"],
                         aws_secret_access_key=creds["SecretAccessKey"],
                         aws_session_token=creds["SessionToken"],
                         region_name=source.region)  # fmt: skip


# -- SQS ----------------------------------------------------------------------------------------
def s3_objects(body: str) -> list[SourceObject] | None:
    """The objects a notification names; [] for a test event; None when it is not one."""
    try:
        doc = loads(body)
    except ValueError:
        return None
    if isinstance(doc, dict) and doc.get("Type") == "Notification" and "Message" in doc:
        return s3_objects(str(doc["Message"]))  # SNS wraps the S3 notification
    if not isinstance(doc, dict):
        return None
    if doc.get("Event") == "s3:TestEvent":
        return []
    if doc.get("source") == "aws.s3" and isinstance(doc.get("detail"), dict):
        d = doc["detail"]
        if doc.get("detail-type") != "Object Created":
            return []
        obj = d.get("object") or {}
        return [SourceObject(f"s3://{d['bucket']['name']}/{obj['key']}", int(obj.get("size", 0)),
                             str(obj.get("etag", "")).strip('"'))]  # fmt: skip
    records = doc.get("Records")
    if not isinstance(records, list):
        return None
    out = []
    for r in records:
        if not str(r.get("eventName", "")).startswith("ObjectCreated"):
            continue
        s3 = r.get("s3") or {}
        key = unquote_plus(str((s3.get("object") or {}).get("key", "")))
        out.append(SourceObject(f"s3://{s3['bucket']['name']}/{key}",
                                int(s3["object"].get("size", 0)),
                                str(s3["object"].get("eTag", "")).strip('"')))  # fmt: skip
    return out


class SqsLane:
    def __init__(self, source: Source, wait_seconds: int = 20) -> None:
        self.source = source
        self.sqs = session(source).client("sqs", endpoint_url=source.endpoint_url)
        self.visibility = min(VISIBILITY, source.visibility_timeout)
        self.wait = wait_seconds
        self.problems: list[str] = []

    def poll(self, position: Position) -> Batch:
        reply = self.sqs.receive_message(QueueUrl=self.source.target, MaxNumberOfMessages=10,
                                         WaitTimeSeconds=self.wait,
                                         VisibilityTimeout=self.visibility,
                                         MessageSystemAttributeNames=["SentTimestamp"])  # fmt: skip
        batch = Batch([])
        for m in reply.get("Messages", []):
            found = s3_objects(m.get("Body", ""))
            if found is None:
                self.problems.append(f"message {m.get('MessageId')}: not an S3 notification "
                                     "(kept in the queue for its redrive policy)")  # fmt: skip
                continue
            batch.objects += found
            batch.handles.append(m["ReceiptHandle"])
            sent = int(m.get("Attributes", {}).get("SentTimestamp", 0)) or None
            if sent and (batch.newest_ms is None or sent > batch.newest_ms):
                batch.newest_ms = sent
        return batch

    @contextmanager
    def invisible(self, batch: Batch) -> Iterator[None]:
        """Keep the batch's messages invisible while it is committed."""
        stop = threading.Event()

        def extend() -> None:
            while not stop.wait(self.visibility / 3):
                for handle in batch.handles:
                    # the message may be gone already; deleting it will say
                    with contextlib.suppress(Exception):
                        self.sqs.change_message_visibility(
                            QueueUrl=self.source.target, ReceiptHandle=handle,
                            VisibilityTimeout=self.visibility)  # fmt: skip

        thread = threading.Thread(target=extend, daemon=True)
        thread.start()
        try:
            yield
        finally:
            stop.set()
            thread.join()

    def done(self, batch: Batch, position: Position) -> None:
        for i in range(0, len(batch.handles), 10):
            entries = [{"Id": str(n), "ReceiptHandle": h}
                       for n, h in enumerate(batch.handles[i : i + 10])]  # fmt: skip
            self.sqs.delete_message_batch(QueueUrl=self.source.target, Entries=entries)


# -- S3 polling ---------------------------------------------------------------------------------
def _split(uri: str) -> tuple[str, str]:
    bucket, _, prefix = uri.removeprefix("s3://").partition("/")
    return bucket, prefix


class S3PollLane:
    def __init__(self, source: Source) -> None:
        self.source = source
        self.s3 = session(source).client("s3", endpoint_url=source.endpoint_url)
        self.bucket, self.prefix = _split(source.target)
        self.problems: list[str] = []
        self.behind = False  # the last poll stopped at its page budget: poll again at once

    def _page(self, prefix: str, after: str | None) -> dict[str, Any]:
        args: dict[str, Any] = {"Bucket": self.bucket, "Prefix": prefix}
        if after:
            args["StartAfter"] = after
        reply: dict[str, Any] = self.s3.list_objects_v2(**args)
        return reply

    def _object(self, item: dict[str, Any]) -> SourceObject:
        return SourceObject(f"s3://{self.bucket}/{item['Key']}", int(item.get("Size", 0)),
                            str(item.get("ETag", "")).strip('"'))  # fmt: skip

    def poll(self, position: Position, today: date | None = None) -> Batch:
        cursor = position.cursor
        after = cursor.get("start_after")
        recent: dict[str, str] = dict(cursor.get("recent") or {})  # folder → its day
        batch = Batch([])
        pages = 0
        newest: datetime | None = None
        self.behind = False
        while pages < MAX_PAGES:
            reply = self._page(self.prefix, after)
            pages += 1
            for item in reply.get("Contents", []):
                batch.objects.append(self._object(item))
                after = item["Key"]
                day = parse_key(f"s3://{self.bucket}/{item['Key']}").day
                if day is not None:
                    recent[item["Key"].rsplit("/", 1)[0] + "/"] = day.isoformat()
                modified = item.get("LastModified")
                if modified is not None and (newest is None or modified > newest):
                    newest = modified
            if not reply.get("IsTruncated"):
                break
            self.behind = pages >= MAX_PAGES
        # the recent folders again, for keys that sort behind the cursor (late or out of order)
        now = today or datetime.now(UTC).date()
        keep = {f: d for f, d in recent.items() if date.fromisoformat(d) >= now - timedelta(1)}
        resume, pages = self._relist(keep, after, cursor.get("relist"), pages, batch)
        batch.newest_ms = int(newest.timestamp() * 1000) if newest else None
        self._next = {"start_after": after, "recent": keep, "relist": resume, "pages": pages}
        return batch

    def _relist(self, folders: dict[str, str], after: str | None, resume: str | None, pages: int,
                batch: Batch) -> tuple[str | None, int]:  # fmt: skip
        """List the recent folders again within the page budget, from where the last poll's
        re-list stopped (`resume`, a key), so every folder is seen again however many there
        are; objects behind the cursor join the batch (the manifest skips those already in).
        Where to resume next time (None: the round is complete), and the pages used."""
        order = sorted(folders)
        if resume is not None:
            order = [f for f in order if f + "\uffff" > resume]  # the folder of `resume` on
        for folder in order:
            start = resume if resume is not None and resume.startswith(folder) else None
            while True:
                if pages >= MAX_PAGES:
                    return start or folder, pages
                reply = self._page(folder, start)
                pages += 1
                items = reply.get("Contents", [])
                batch.objects += [self._object(i) for i in items
                                  if after is None or i["Key"] <= after]  # fmt: skip
                if not reply.get("IsTruncated") or not items:
                    break
                start = items[-1]["Key"]
        return None, pages

    def done(self, batch: Batch, position: Position) -> None:
        position.cursor = dict(self._next)


# -- directories --------------------------------------------------------------------------------
class DirLane:
    def __init__(self, source: Source) -> None:
        self.source = source
        self.reader = Reader()
        self.problems: list[str] = []

    def poll(self, position: Position) -> Batch:
        objects = list(self.reader.list(self.source.target))
        newest = max((int(o.version) // 1_000_000 for o in objects), default=None)
        return Batch(objects, newest_ms=newest)

    def done(self, batch: Batch, position: Position) -> None:
        position.cursor = {"files": len(batch.objects)}
