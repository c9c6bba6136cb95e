"""Playbooks act in the event's account: with a role name, Vigil assumes
`arn:aws:iam::<event account>:role/<name>` there; without one, an event from another account
than the caller's is refused with the reason (nothing is planned against the wrong account)."""

from __future__ import annotations

import os
import re
from typing import Any, Final

from vigil.playbooks.plans import PlanError

_ACCOUNT: Final = re.compile(r"^\d{12}$")


def event_account(event: dict[str, Any]) -> str | None:
    """The account the event is about: the envelope's `account`, else the CloudTrail record's
    recipientAccountId or userIdentity.accountId."""
    raw = event.get("detail")
    detail: dict[str, Any] = raw if isinstance(raw, dict) else event
    who = detail.get("userIdentity")
    identity: dict[str, Any] = who if isinstance(who, dict) else {}
    for value in (event.get("account"), detail.get("recipientAccountId"),
                  identity.get("accountId")):  # fmt: skip
        if isinstance(value, str) and _ACCOUNT.match(value):
            return value
    return None


def session_for(event: dict[str, Any], role: str | None, region: str,
                endpoint_url: str | None) -> tuple[Any, str | None]:  # fmt: skip
    """A boto3 session acting in the event's account, and the role ARN assumed (or None)."""
    import boto3

    endpoint = endpoint_url or os.environ.get("VIGIL_AWS_ENDPOINT_URL")
    base = boto3.Session(region_name=region)
    wanted = event_account(event)
    if role:
        if wanted is None:
            raise PlanError("the event names no account to assume the role in",
                            hint="run without --role, or give an event with `account`")  # fmt: skip
        arn = role if role.startswith("arn:") else f"arn:aws:iam::{wanted}:role/{role}"
        sts = base.client("sts", endpoint_url=endpoint)
        creds = sts.assume_role(RoleArn=arn, RoleSessionName="vigil-playbook")["Credentials"]
        session = boto3.Session(
            aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
            aws_session_token=creds["SessionToken"], region_name=region,
        )  # fmt: skip
        return session, arn
    if wanted is not None:
        caller = base.client("sts", endpoint_url=endpoint).get_caller_identity()["Account"]
        if caller != wanted:
            raise PlanError(
                f"the event is from account {wanted}, but Vigil's credentials are account "
                f"{caller}: nothing was planned",
                hint=f"give --role NAME (assumed as arn:aws:iam::{wanted}:role/NAME), or "
                "`role:` on the rule's playbook target",
            )
    return base, None
