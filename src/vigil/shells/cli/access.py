"""Access to the server: `vigil users …`, `vigil tokens …` (Bearer), `vigil keys …` (SigV4
access keys) and `vigil audit` (every change made through the server or to access)."""

from __future__ import annotations

import sys
from dataclasses import asdict
from typing import Annotated, Any

import typer

from vigil.api import access
from vigil.shells import render
from vigil.shells.cli.options import JsonFlag
from vigil.shells.cli.tree import help_of
from vigil.shells.views.access import audit_entry

users_app = typer.Typer(help=help_of("users"), no_args_is_help=True)
tokens_app = typer.Typer(help=help_of("tokens"), no_args_is_help=True)
keys_app = typer.Typer(help=help_of("keys"), no_args_is_help=True)


def _user(user: access.User) -> dict[str, Any]:
    return {**asdict(user), "role": str(user.role)}


def _key(k: access.KeyRow) -> dict[str, Any]:
    return {"AccessKeyId": k.access_key_id, "UserName": k.user, "Status": k.status,
            "CreateDate": k.created_at, "LastUsedDate": k.last_used_at}  # fmt: skip


@users_app.command("create")
def users_create(
    ctx: typer.Context,
    name: str,
    role: Annotated[
        str, typer.Option(help="viewer, analyst, admin, or metrics (a scraper: /metrics only).")
    ] = "viewer",
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from stdin.")
    ] = False,
    json_out: JsonFlag = False,
) -> None:
    """Add a user (a password lets them sign in to the console)."""
    password = sys.stdin.readline().rstrip("\n") if password_stdin else None
    user = access.create_user(ctx.obj, name, role, password)
    if json_out:
        render.print_json(_user(user))
    else:
        render.line(f"user {user.name} ({user.role}) created")


@users_app.command("list")
def users_list(ctx: typer.Context, json_out: JsonFlag = False) -> None:
    """The users and their roles."""
    found = access.users(ctx.obj)
    if json_out:
        render.print_json([_user(u) for u in found])
        return
    render.table(["name", "role", "sign-in", "created"],
                 [[u.name, str(u.role), "yes" if u.can_sign_in else "no", u.created_at]
                  for u in found], title="users")  # fmt: skip


@users_app.command("set-password")
def users_set_password(ctx: typer.Context, name: str, json_out: JsonFlag = False) -> None:
    """Set a user's password, read from stdin."""
    access.set_password(ctx.obj, name, sys.stdin.readline().rstrip("\n"))
    render.print_json({"user": name, "password": "set"}) if json_out else render.line("done")


@users_app.command("remove")
def users_remove(ctx: typer.Context, name: str, json_out: JsonFlag = False) -> None:
    """Remove a user with their tokens and keys."""
    access.delete_user(ctx.obj, name)
    render.print_json({"removed": name}) if json_out else render.line(f"user {name} removed")


@tokens_app.command("create")
def tokens_create(
    ctx: typer.Context,
    user: Annotated[str | None, typer.Option(help="Owner (default: the built-in admin).")] = None,
    label: Annotated[str, typer.Option(help="What the token is for.")] = "",
    json_out: JsonFlag = False,
) -> None:
    """A Bearer token for the API (shown once)."""
    made = access.create_token(ctx.obj, user, label)
    if json_out:
        render.print_json(asdict(made))
    else:
        render.line(made.token)


@tokens_app.command("list")
def tokens_list(ctx: typer.Context, json_out: JsonFlag = False) -> None:
    """Tokens (their ids, never the tokens)."""
    found = access.tokens(ctx.obj)
    if json_out:
        render.print_json([asdict(t) for t in found])
        return
    render.table(["id", "user", "label", "created", "last used"],
                 [[t.id, t.user, t.label, t.created_at, t.last_used_at or ""]
                  for t in found], title="tokens")  # fmt: skip


@tokens_app.command("revoke")
def tokens_revoke(ctx: typer.Context, ident: str, json_out: JsonFlag = False) -> None:
    """Revoke a token by its id."""
    access.revoke_token(ctx.obj, ident)
    render.print_json({"revoked": ident}) if json_out else render.line(f"token {ident} revoked")


@keys_app.command("create")
def keys_create(
    ctx: typer.Context,
    user: Annotated[str | None, typer.Option(help="Owner (default: the built-in admin).")] = None,
    json_out: JsonFlag = False,
) -> None:
    """An access key for SigV4 clients (AWS CLI, SDKs); the secret is shown once."""
    made = access.create_key(ctx.obj, user)
    if json_out:
        render.print_json(made)
    else:
        render.rows(list(made.items()), title="access key (the secret is not shown again)")


@keys_app.command("list")
def keys_list(ctx: typer.Context, json_out: JsonFlag = False) -> None:
    """Access keys (ids and owners)."""
    found = access.keys(ctx.obj)
    if json_out:
        render.print_json([_key(k) for k in found])
        return
    render.table(["AccessKeyId", "user", "status", "created"],
                 [[k.access_key_id, k.user, k.status, k.created_at]
                  for k in found], title="access keys")  # fmt: skip


@keys_app.command("remove")
def keys_remove(ctx: typer.Context, key_id: str, json_out: JsonFlag = False) -> None:
    """Delete an access key."""
    access.delete_key(ctx.obj, key_id)
    render.print_json({"removed": key_id}) if json_out else render.line(f"key {key_id} removed")


def audit_command(
    ctx: typer.Context,
    limit: Annotated[int, typer.Option(min=1)] = 50,
    user: Annotated[str | None, typer.Option(help="Only this user's changes.")] = None,
    json_out: JsonFlag = False,
) -> None:
    """Every change made through the server or to access: who, what, when, from where."""
    found = access.audit_log(ctx.obj, limit, user)
    if json_out:
        render.print_json([audit_entry(e) for e in found])
        return
    render.table(["time", "user", "action", "target", "from", "result"],
                 [[e.time, e.user, e.action, e.target, e.source, e.result]
                  for e in found], title="audit")  # fmt: skip
