"""An entity's activity in the lake, as SQL: one statement per table (CloudTrail, flow logs,
Route 53 Resolver query logs) that reads the entity's rows once (a materialized CTE) and
answers, in long form, its count, first and last seen, its calls per time bucket, its accounts
and Regions, its top related values, and a page of its newest records.

Every statement is bounded: the hive `date` partitions and the time column (CloudTrail files
are clustered by service, event name and time, so row groups outside the window are skipped),
and each section has its LIMIT. Values are quoted here; ids come checked (`model.entity`)."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Final

from vigil.model.entity import ACCESS_KEY, INTERFACE_ID, SERVICE_PRINCIPAL, EntityRef, Kind

TOP: Final = 10
RECORDS: Final = 25
BUCKET_NAME: Final = (
    "coalesce(json_extract_string(requestparameters, '$.bucketName'), "
    "json_extract_string(requestparameters, '$.Bucket'))"
)
ACTOR: Final = "ct_actor(useridentity)"


@dataclass(frozen=True)
class Window:
    start_s: int  # epoch seconds, inclusive
    end_s: int  # exclusive
    step_s: int  # the activity chart's bucket

    @property
    def days(self) -> tuple[str, str]:
        from datetime import UTC, datetime

        first = datetime.fromtimestamp(self.start_s, UTC).date().isoformat()
        last = datetime.fromtimestamp(self.end_s, UTC).date().isoformat()
        return first, last


@dataclass(frozen=True)
class Related:
    title: str
    kind: Kind | None  # the values' entity kind (None: plain values, such as API calls)
    expr: str  # over the CTE's columns


def text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def trail_match(ref: EntityRef) -> str | None:
    """The CloudTrail rows about the entity."""
    v = text(ref.id)
    if ref.kind == Kind.PRINCIPAL:
        if ACCESS_KEY.match(ref.id):
            return f"useridentity.accesskeyid = {v}"
        if ":role/" in ref.id:  # a role: every session of it
            return f"useridentity.sessioncontext.sessionissuer.arn = {v}"
        if SERVICE_PRINCIPAL.match(ref.id):
            return f"{ACTOR} = {v}"
        return f"useridentity.arn = {v}"
    if ref.kind == Kind.INSTANCE:  # named in the request or reply, or its role's session
        return (f"(contains(requestparameters, {v}) OR contains(responseelements, {v}) "
                f"OR ends_with(useridentity.arn, {text('/' + ref.id)}))")  # fmt: skip
    if ref.kind == Kind.ADDRESS:
        return f"sourceipaddress = {v}"
    if ref.kind == Kind.BUCKET:
        return f"eventsource = 's3.amazonaws.com' AND {BUCKET_NAME} = {v}"
    return f"aws_account = {v}"  # the account: its partitions


def flow_match(ref: EntityRef, interfaces: tuple[str, ...] = ()) -> str | None:
    """The flow-log rows about the entity (None: flow logs do not name it); an instance's
    `interfaces` (from the posture snapshot) stand for it in flow logs without instance-id."""
    v = text(ref.id)
    if ref.kind == Kind.INSTANCE:
        if INTERFACE_ID.match(ref.id):
            return f"interface_id = {v}"
        if interfaces:
            listed = ", ".join(text(i) for i in interfaces)
            return f"(instance_id = {v} OR interface_id IN ({listed}))"
        return f"instance_id = {v}"
    if ref.kind == Kind.ADDRESS:
        address = ipaddress.ip_address(ref.id)
        if address.version == 4:  # the stored integers: their statistics prune row groups
            n = int(address)
            return f"(srcaddr_ipv4 = {n} OR dstaddr_ipv4 = {n})"
        return f"(srcaddr = {v} OR dstaddr = {v})"
    if ref.kind == Kind.ACCOUNT:
        return f"aws_account = {v}"
    return None


def dns_match(ref: EntityRef) -> str | None:
    """The query-log rows about the entity: an instance's queries (`srcids.instance`), an
    address's queries and the answers that resolved to it, an account's (None: the logs do not
    name it; an interface's queries are its instance's)."""
    v = text(ref.id)
    if ref.kind == Kind.INSTANCE:
        return None if INTERFACE_ID.match(ref.id) else f"srcids.instance = {v}"
    if ref.kind == Kind.ADDRESS:
        answered = f"list_contains(list_transform(answers, lambda a: a.Rdata), {v})"
        address = ipaddress.ip_address(ref.id)
        asked = f"srcaddr_ipv4 = {int(address)}" if address.version == 4 else f"srcaddr = {v}"
        return f"({asked} OR {answered})"
    if ref.kind == Kind.ACCOUNT:
        return f"aws_account = {v}"
    return None


def dns_related(ref: EntityRef) -> list[Related]:
    domains = Related("Domains asked for", None, "registered_domain")
    names = Related("Names asked for", None, "rtrim(query_name, '.')")
    answers = Related("Addresses the answers gave", Kind.ADDRESS, "answers[1].Rdata")
    if ref.kind == Kind.ADDRESS:
        return [Related("Instances asking", Kind.INSTANCE, "instance"), names, domains]
    if ref.kind == Kind.INSTANCE:
        return [domains, names, answers]
    return [domains, Related("Instances asking", Kind.INSTANCE, "instance")]


def trail_related(ref: EntityRef) -> list[Related]:
    calls = Related("API calls", None, "eventsource || ' ' || eventname")
    principals = Related("Principals", Kind.PRINCIPAL, "actor")
    addresses = Related("Source addresses", Kind.ADDRESS, "sourceipaddress")
    keys = Related("Access keys", Kind.PRINCIPAL, "accesskeyid")
    buckets = Related("Buckets", Kind.BUCKET, "bucket")
    if ref.kind == Kind.PRINCIPAL:
        identities = Related("Identities and sessions", Kind.PRINCIPAL, "arn")
        issuers = Related("Roles", Kind.PRINCIPAL, "issuer")
        return [identities, issuers, keys, addresses, buckets, calls]
    if ref.kind == Kind.ADDRESS:
        return [principals, keys, calls]
    if ref.kind == Kind.BUCKET:
        return [principals, addresses, calls]
    if ref.kind == Kind.ACCOUNT:
        return [principals, addresses, buckets, calls]
    return [principals, addresses, calls]


def flow_related(ref: EntityRef) -> list[Related]:
    peer = (f"CASE WHEN srcaddr = {text(ref.id)} THEN dstaddr ELSE srcaddr END"
            if ref.kind == Kind.ADDRESS else
            "CASE WHEN is_private_ip(srcaddr) THEN dstaddr ELSE srcaddr END")  # fmt: skip
    ports = Related("Destination ports", None, "CAST(dstport AS VARCHAR)")
    if ref.kind == Kind.ADDRESS:
        return [Related("Instances and interfaces", Kind.INSTANCE, "interface_id"),
                Related("Peers", Kind.ADDRESS, peer), ports]  # fmt: skip
    if ref.kind == Kind.INSTANCE:
        other = "instance_id" if INTERFACE_ID.match(ref.id) else "interface_id"
        return [Related("Instances and interfaces", Kind.INSTANCE, other),
                Related("Remote addresses", Kind.ADDRESS, peer), ports]  # fmt: skip
    return [Related("Remote addresses", Kind.ADDRESS, peer), ports]


TRAIL_COLUMNS: Final = (
    "event_ts AS t, eventtime, eventsource, eventname, awsregion AS region, aws_account AS account,"
    f" sourceipaddress, {ACTOR} AS actor, useridentity.arn AS arn, "
    "useridentity.accesskeyid AS accesskeyid, useridentity.sessioncontext.sessionissuer.arn "
    f"AS issuer, errorcode, eventid, CASE WHEN eventsource = 's3.amazonaws.com' THEN {BUCKET_NAME}"
    " END AS bucket"
)
TRAIL_RECORD: Final = (
    "{'time': eventtime, 'event': eventsource || ' ' || eventname, 'principal': actor, "
    "'source': sourceipaddress, 'account': account, 'region': region, 'error': errorcode, "
    "'eventid': eventid}"
)
FLOW_COLUMNS: Final = (
    "to_timestamp(start) AS t, start, srcaddr, dstaddr, srcport, dstport, protocol, action, "
    "bytes, packets, interface_id, instance_id, aws_account AS account, aws_region AS region"
)
FLOW_RECORD: Final = (
    "{'time': strftime(t, '%Y-%m-%dT%H:%M:%SZ'), 'interface': interface_id, "
    "'source': srcaddr || ':' || coalesce(CAST(srcport AS VARCHAR), ''), "
    "'destination': dstaddr || ':' || coalesce(CAST(dstport AS VARCHAR), ''), "
    "'protocol': protocol, 'action': action, 'bytes': bytes, 'packets': packets}"
)


DNS_COLUMNS: Final = (
    "query_ts AS t, query_name, query_type, rcode, srcaddr, srcids.instance AS instance, "
    "registered_domain, answers, firewall_rule_action, aws_account AS account, "
    "aws_region AS region"
)
DNS_RECORD: Final = (
    "{'time': strftime(t, '%Y-%m-%dT%H:%M:%SZ'), 'source': srcaddr, 'instance': instance, "
    "'name': query_name, 'type': query_type, 'rcode': rcode, "
    "'answers': array_to_string(list_transform(answers, lambda a: a.Rdata), ' '), "
    "'firewall': firewall_rule_action}"
)


def related_of(table: str, ref: EntityRef) -> list[Related]:
    if table == "cloudtrail":
        return trail_related(ref)
    return flow_related(ref) if table == "flow_logs" else dns_related(ref)


def statement(table: str, ref: EntityRef, window: Window, offset: int = 0,
              interfaces: tuple[str, ...] = ()) -> str | None:  # fmt: skip
    """The one statement for `table` (cloudtrail, flow_logs or dns_logs), or None when that
    table does not name the entity. Rows: (section, value, n, first, last)."""
    start, end = f"to_timestamp({window.start_s})", f"to_timestamp({window.end_s})"
    if table == "cloudtrail":
        match, columns, record = trail_match(ref), TRAIL_COLUMNS, TRAIL_RECORD
        time_filter = f"event_ts >= {start} AND event_ts < {end}"
    elif table == "flow_logs":
        match, columns, record = flow_match(ref, interfaces), FLOW_COLUMNS, FLOW_RECORD
        time_filter = f"start >= {window.start_s} AND start < {window.end_s}"
    else:
        match, columns, record = dns_match(ref), DNS_COLUMNS, DNS_RECORD
        time_filter = f"query_ts >= {start} AND query_ts < {end}"
    if match is None:
        return None
    first_day, last_day = window.days
    related = related_of(table, ref)
    parts = [
        "SELECT 'summary' AS section, NULL AS value, count(*) AS n, min(t) AS first, "
        "max(t) AS last FROM m",
        f"SELECT 'bucket', CAST(epoch(time_bucket(to_seconds({window.step_s}), t)) AS BIGINT)"
        "::VARCHAR, count(*), NULL, NULL FROM m GROUP BY 2",
        "(SELECT 'account', account, count(*), min(t), max(t) FROM m GROUP BY 2 "
        f"ORDER BY 3 DESC LIMIT {TOP})",
        "(SELECT 'region', region, count(*), min(t), max(t) FROM m WHERE region IS NOT NULL "
        f"GROUP BY 2 ORDER BY 3 DESC LIMIT {TOP})",
        *(f"(SELECT 'related:{i}', {r.expr}, count(*), min(t), max(t) FROM m "
          f"WHERE ({r.expr}) IS NOT NULL GROUP BY 2 ORDER BY 3 DESC, 2 LIMIT {TOP})"
          for i, r in enumerate(related)),
        f"(SELECT 'record', CAST(to_json({record}) AS VARCHAR), 1, t, NULL FROM m "
        f"ORDER BY t DESC LIMIT {RECORDS + 1} OFFSET {max(0, int(offset))})",
    ]  # fmt: skip
    return (
        f"WITH m AS MATERIALIZED (SELECT {columns} FROM {table} WHERE "
        f"\"date\" BETWEEN DATE '{first_day}' AND DATE '{last_day}' AND {time_filter} "
        f"AND {match}) " + " UNION ALL ".join(parts)
    )
