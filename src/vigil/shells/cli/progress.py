"""A rich progress bar over objects for long CLI work, silent when disabled or not on a terminal."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from vigil.shells import render

if TYPE_CHECKING:
    from vigil.api.lake import SourceObject


class object_progress:
    def __init__(self, label: str = "ingest", *, enabled: bool = True) -> None:
        self.bar = Progress(
            TextColumn(f"[bold]{label}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[records]:,} records"),
            TimeElapsedColumn(),
            console=render.err,
            transient=True,
            disable=not enabled,
        )
        self.task = self.bar.add_task(label, total=None, records=0)
        self.records = 0

    def __enter__(self) -> tuple[Any, Any]:
        self.bar.start()
        return self.listed, self.advance

    def __exit__(self, *exc: object) -> None:
        self.bar.stop()

    def listed(self, total: int) -> None:
        self.bar.update(self.task, total=total)

    def advance(self, obj: SourceObject, rows: int) -> None:
        self.records += rows
        self.bar.update(self.task, advance=1, records=self.records)
