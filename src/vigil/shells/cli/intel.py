"""`vigil intel add|list|remove`: threat lists, trusted lists (addresses and domain names) and
the organization's accounts, as GuardDuty's threat-intel and trusted-IP sets."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from vigil.api import detect, intel, lake
from vigil.errors import ConfigError
from vigil.shells import render
from vigil.shells.cli.options import JsonFlag
from vigil.shells.cli.tree import help_of

intel_app = typer.Typer(help=help_of("intel"), no_args_is_help=True)


@intel_app.command("add")
def intel_add(
    ctx: typer.Context,
    path: Annotated[
        Path,
        typer.Argument(
            help="A list: IP addresses, CIDRs and domain names (plain text, a hosts file, an RPZ "
            "zone, STIX 2.x, a MISP event or CSV, an OTX CSV), or account ids, one per line."
        ),
    ],
    threat: Annotated[bool, typer.Option("--threat", help="A threat list.")] = False,
    trusted: Annotated[
        bool, typer.Option("--trusted", help="A trusted list (addresses, domains).")
    ] = False,
    accounts: Annotated[
        bool, typer.Option("--accounts", help="The organization's account ids.")
    ] = False,
    category: Annotated[
        str | None,
        typer.Option(
            help="What the list's entries are, one word: malware, phishing, mining, c2, "
            "dropzone, blackhole, driveby; for a reputation feed malicious, suspicious, abused "
            "or bitcoin. The DNS detections pick their finding type by it."
        ),
    ] = None,
    reputation: Annotated[
        bool,
        typer.Option(
            "--reputation",
            help="A reputation feed: its domains raise the .Reputation findings, not .Custom.",
        ),
    ] = False,
    apply_since: Annotated[
        str | None,
        typer.Option(help="Re-run detection over stored data this far back (7d, 24h) with it."),
    ] = None,
    json_out: JsonFlag = False,
) -> None:
    """Add a threat list, a trusted list (trusted wins over threat) or an account list; it
    applies to the next `vigil detect`, and with --apply-since to stored data too. A domain
    entry covers the name and every name under it."""
    chosen = [
        k for k, on in (("threat", threat), ("trusted", trusted), ("accounts", accounts)) if on
    ]
    if len(chosen) != 1:
        raise ConfigError("say one of --threat, --trusted or --accounts",
                          hint="vigil intel add --threat bad-ips.txt")  # fmt: skip
    if apply_since:
        lake.check_age(apply_since, "--apply-since")
    added = intel.add(ctx.obj, chosen[0], path, category, reputation)
    applied = detect.recent(ctx.obj, apply_since) if apply_since else None
    if json_out:
        doc = {"list": added.name, **vars(added), "applied": applied}
        del doc["name"]
        render.print_json(doc)
        return
    about = "".join(
        [f", {added.domains} domain(s)" if added.domains else "",
         f", category {added.category}" if added.category else "",
         ", reputation feed" if added.reputation else ""]
    )  # fmt: skip
    render.line(f"{added.entries} entries added from {path} ({chosen[0]} list {path.name}{about})")
    for line in added.problems:
        render.tagged("skipped:", "yellow", line)
    if applied is not None:
        found = sum(applied.findings.values())
        render.line(f"applied to data since {applied.since}: "
                    f"{applied.units} unit(s) run, {found} finding(s) touched")  # fmt: skip
    else:
        render.tagged("note:", "cyan", "the list applies from the next `vigil detect`; to apply "
                      f"it to stored data: vigil intel add {path} --{chosen[0]} --apply-since 7d "
                      "(or vigil detect --since 2024-03-01)")  # fmt: skip


@intel_app.command("list")
def intel_list(ctx: typer.Context, json_out: JsonFlag = False) -> None:
    """The lists added, with their entries."""
    lists = intel.listing(ctx.obj)
    if json_out:
        render.print_json({"lists": lists})
        return
    rows = [[x.kind, x.name, x.entries, x.domains, x.category or "-",
             "yes" if x.reputation else "-", x.problems, x.added] for x in lists]  # fmt: skip
    heads = ["kind", "name", "entries", "domains", "category", "reputation", "skipped lines"]
    render.table([*heads, "added"], rows)


@intel_app.command("remove")
def intel_remove(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The list's name (its file name), as `list` shows.")],
    kind: Annotated[str | None, typer.Option(help="threat, trusted or accounts.")] = None,
    json_out: JsonFlag = False,
) -> None:
    """Remove a list; detections stop using it from the next run."""
    gone = intel.remove(ctx.obj, name, kind)
    text = f"removed {gone.kind} list {name} ({gone.entries} entries)"
    render.done(json_out, text, vars(gone))


aws_ranges_app = typer.Typer(
    help="AWS's published IP ranges (ip-ranges.json), for InsideAWS / OutsideAWS.",
    no_args_is_help=True,
)
intel_app.add_typer(aws_ranges_app, name="aws-ranges")


@aws_ranges_app.command("update")
def aws_ranges_update(
    ctx: typer.Context,
    path: Annotated[Path, typer.Argument(help="ip-ranges.json as AWS publishes it.")],
    json_out: JsonFlag = False,
) -> None:
    """Replace the shipped snapshot with AWS's file (curl -O https://ip-ranges.amazonaws.com/
    ip-ranges.json); the next `vigil detect` uses it."""
    done = intel.update_aws_ranges(ctx.obj, path)
    counts = f"{done.ipv4_prefixes} IPv4 and {done.ipv6_prefixes} IPv6 prefixes"
    text = f"AWS ranges from {path}: {counts} (createDate {done.createDate})"
    render.done(json_out, text, vars(done))


@intel_app.command("geoip")
def intel_geoip(
    ctx: typer.Context,
    path: Annotated[Path, typer.Argument(help="An MMDB file (GeoLite2, DB-IP lite).")],
    json_out: JsonFlag = False,
) -> None:
    """Install a GeoIP database (checked, copied into the home): addresses on findings and
    entity pages show their country and network (ASN), and queries may call geoip_country(),
    geoip_asn() and geoip_org()."""
    done = intel.geoip_install(ctx.obj, path)
    text = (
        f"GeoIP {done.kind} database {done.database_type} from {path} "
        f"({done.node_count} nodes, IPv{done.ip_version}) installed as {done.path}"
    )
    render.done(json_out, text, vars(done))
