"""`vigil rules import|list|enable|disable|remove`: SigmaHQ rules kept under <home>/sigma/."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any

import typer

from vigil.api import detect
from vigil.errors import ConfigError
from vigil.shells import render
from vigil.shells.cli.options import JsonFlag
from vigil.shells.cli.tree import help_of

Ref = Annotated[str, typer.Argument(help="The rule: its id (sigma-…), file name or Sigma id.")]
rules_app = typer.Typer(help=help_of("rules"), no_args_is_help=True)


@rules_app.command("import")
def rules_import(
    ctx: typer.Context,
    paths: Annotated[list[Path], typer.Argument(help="Sigma rule files or folders.")],
    json_out: JsonFlag = False,
) -> None:
    """Import Sigma rules for AWS CloudTrail; rules that cannot run are listed with why."""
    results = detect.import_rules(ctx.obj, paths)
    if json_out:
        render.print_json([asdict(r) for r in results])
    else:
        body = [[r.path, r.rule_id, r.title, r.status, r.reason] for r in results]
        render.table(["path", "rule_id", "title", "status", "reason"], body, title="sigma rules")
    if not any(r.status == "imported" for r in results):
        first = next(iter(results), None)
        why = f" (first: {first.path}: {first.reason})" if first else ""
        raise ConfigError(f"no rule was imported from {len(results)} file(s){why}",
                          hint="each rule's reason is listed above; rules must be Sigma rules "
                               "for logsource product aws, service cloudtrail")  # fmt: skip


@rules_app.command("list")
def rules_list(ctx: typer.Context, json_out: JsonFlag = False) -> None:
    """The imported rules, enabled or not (they are also in `vigil content list`)."""
    rules = detect.sigma_rules(ctx.obj)
    if json_out:
        render.print_json({"rules": [asdict(r) for r in rules]})
        return
    body = [[r.id, "yes" if r.enabled else "no", r.title or r.problem, r.file]
            for r in rules]  # fmt: skip
    render.table(["id", "enabled", "title", "file"], body, title="imported Sigma rules")


def _set(ctx: typer.Context, ref: str, action: str, json_out: bool) -> None:
    done = detect.set_sigma_rule(ctx.obj, ref, action)
    render.done(json_out, f"rule {done.id} ({done.file}) {action}d", _change(done))


def _change(done: detect.RuleChange) -> dict[str, Any]:
    state = {"removed": True} if done.removed else {"enabled": done.enabled}
    return {"id": done.id, "file": done.file, **state}


@rules_app.command("enable")
def rules_enable(ctx: typer.Context, rule: Ref, json_out: JsonFlag = False) -> None:
    """Run the rule again from the next `vigil detect`."""
    _set(ctx, rule, "enable", json_out)


@rules_app.command("disable")
def rules_disable(ctx: typer.Context, rule: Ref, json_out: JsonFlag = False) -> None:
    """Keep the rule but stop running it (its findings stay)."""
    _set(ctx, rule, "disable", json_out)


@rules_app.command("remove")
def rules_remove(ctx: typer.Context, rule: Ref, json_out: JsonFlag = False) -> None:
    """Delete the imported rule (its findings stay)."""
    _set(ctx, rule, "remove", json_out)
