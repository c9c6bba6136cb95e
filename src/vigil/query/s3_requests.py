"""`s3_requests`: S3 object-level requests from S3 server access logs and CloudTrail S3 data
events, in one shape, so a detection is written once for either source (or both).

Columns: event_ts, date, account, region, bucket, key (decoded), action (CloudTrail's API
name: REST.GET.OBJECT is GetObject, each BATCH.DELETE.OBJECT key a DeleteObject, the multi-
object delete request itself DeleteObjects), operation (as logged), copy_source (the read half
of a copy, whose bucket and key are the source's), principal (an assumed role as its role,
as `ct_actor` says it; `anonymous` for unsigned requests), requester (as logged), anonymous,
by_aws (lifecycle, replication, AWS services: not a user's action), remote_ip, remote_ipv4,
http_status, error_code, succeeded, bytes_out, object_size, sse_c (the request carried a
customer-provided key; NULL where unknown: access logs do not record encryption), version_id,
user_agent, source ('access_log' or 'cloudtrail'), request_id, record_id (request id or event
id).

A request logged by both sources is kept once, as the access log has it (one row per key of a
multi-object delete, HTTP status and bytes) with what only CloudTrail knows added (SSE-C, the
principal as `ct_actor` names it): the two share S3's request id. The same request id from
CloudTrail delivered to two trails (the caller's and the bucket owner's) is one request too.

The relation is a table macro, `s3_requests_between(lo, hi)`, whose bounds reach every side
(both scans and the joins that match the sources), and the view `s3_requests` is it unbounded.
A detection run reads it bounded (`vigil.detect.sql`), so the joins see the run's days only.
"""

from __future__ import annotations

from typing import Final

# derived relation → the lake tables it reads (a batch of either one touches it)
READS: Final[dict[str, tuple[str, ...]]] = {"s3_requests": ("s3_access_logs", "cloudtrail")}
TIME_COLUMN: Final = "event_ts"
TOLERANCE_MINUTES: Final = 15  # the two logs' times for one request may differ this much

# access-log operation → CloudTrail's eventName
ACTIONS: Final[dict[str, str]] = {
    "REST.GET.OBJECT": "GetObject",
    "REST.HEAD.OBJECT": "HeadObject",
    "REST.PUT.OBJECT": "PutObject",
    "REST.POST.OBJECT": "PutObject",
    "REST.DELETE.OBJECT": "DeleteObject",
    "BATCH.DELETE.OBJECT": "DeleteObject",
    "REST.POST.MULTI_OBJECT_DELETE": "DeleteObjects",
    "REST.COPY.OBJECT": "CopyObject",
    "REST.COPY.OBJECT_GET": "CopyObject",
    "REST.COPY.PART": "UploadPartCopy",
    "REST.COPY.PART_GET": "UploadPartCopy",
    "REST.POST.UPLOADS": "CreateMultipartUpload",
    "REST.PUT.PART": "UploadPart",
    "REST.POST.UPLOAD": "CompleteMultipartUpload",
    "REST.DELETE.UPLOAD": "AbortMultipartUpload",
    "REST.GET.UPLOAD": "ListParts",
    "REST.GET.BUCKET": "ListObjects",
    "REST.GET.BUCKETVERSIONS": "ListObjectVersions",
    "REST.GET.UPLOADS": "ListMultipartUploads",
    "REST.GET.ACL": "GetObjectAcl",
    "REST.PUT.ACL": "PutObjectAcl",
    "REST.GET.OBJECT_TAGGING": "GetObjectTagging",
    "REST.PUT.OBJECT_TAGGING": "PutObjectTagging",
    "REST.DELETE.OBJECT_TAGGING": "DeleteObjectTagging",
    "REST.GET.OBJECT_ATTRIBUTES": "GetObjectAttributes",
    "REST.POST.RESTORE": "RestoreObject",
    "REST.POST.SELECT": "SelectObjectContent",
    "REST.GET.TORRENT": "GetObjectTorrent",
    "WEBSITE.GET.OBJECT": "GetObject",
    "WEBSITE.HEAD.OBJECT": "HeadObject",
    "S3.EXPIRE.OBJECT": "DeleteObject",
    "S3.CREATE.DELETEMARKER": "DeleteObject",
}
# CloudTrail S3 error codes → the HTTP status S3 answered with (CloudTrail has no status)
STATUSES: Final[dict[str, int]] = {
    "AccessDenied": 403, "AllAccessDisabled": 403, "InvalidObjectState": 403,
    "NoSuchKey": 404, "NoSuchBucket": 404, "NoSuchVersion": 404, "NoSuchUpload": 404,
    "InvalidRequest": 400, "InvalidArgument": 400, "PreconditionFailed": 412,
}  # fmt: skip
_SSO: Final = "AWSReservedSSO_"
_SERVICE_ROLE: Final = ":role/aws-service-role/"


def _text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _case(column: str, mapping: dict[str, object]) -> str:
    arms = " ".join(
        f"WHEN {_text(k)} THEN {_text(v) if isinstance(v, str) else v}" for k, v in mapping.items()
    )
    return f"CASE {column} {arms} END"


# An access log's requester as `ct_actor` names a principal: an assumed role's session as its
# role (IAM Identity Center's AWSReservedSSO_ roles keep their sessions: each is a person).
ACTOR_MACRO: Final = (
    "CREATE OR REPLACE MACRO s3_actor(requester) AS CASE "
    "WHEN requester IS NULL THEN 'anonymous' "
    f"WHEN contains(requester, ':assumed-role/') AND NOT contains(requester, {_text(_SSO)}) "
    "THEN regexp_replace(requester, "
    "'^arn:(aws[a-z-]*):sts::([0-9]+):assumed-role/([^/]+)/.*$', 'arn:\\1:iam::\\2:role/\\3') "
    "ELSE requester END"
)

# Lifecycle actions (S3.*), AWS services (svc:…, *.amazonaws.com, their service-linked
# roles) and S3's own internal requests (replication, inventory: aws-internal user agents).
_ACCESS_BY_AWS: Final = (
    "(starts_with(operation, 'S3.') OR starts_with(coalesce(requester, ''), 'svc:') "
    "OR ends_with(coalesce(requester, ''), '.amazonaws.com') "
    f"OR contains(coalesce(requester, ''), {_text(_SERVICE_ROLE)}) "
    "OR starts_with(coalesce(useragent, ''), 'aws-internal/'))"
)

_CT_COLUMNS: Final = f"""
        event_ts, date, recipientaccountid AS account, awsregion AS region,
        json_extract_string(requestparameters, '$.bucketName') AS bucket,
        json_extract_string(requestparameters, '$.key') AS key,
        eventname AS action, eventname AS operation, false AS copy_source,
        CASE WHEN useridentity.accountid = 'ANONYMOUS_PRINCIPAL' THEN 'anonymous'
             ELSE coalesce(ct_actor(useridentity), useridentity.accountid) END AS principal,
        coalesce(useridentity.arn, useridentity.principalid) AS requester,
        coalesce(useridentity.accountid = 'ANONYMOUS_PRINCIPAL', false) AS anonymous,
        ct_by_aws(useridentity, sourceipaddress) AS by_aws,
        sourceipaddress AS remote_ip, CAST(ipv4_to_int(sourceipaddress) AS UINTEGER) AS remote_ipv4,
        CASE WHEN errorcode IS NULL THEN 200 ELSE {_case("errorcode", dict(STATUSES))} END
            AS http_status,
        errorcode AS error_code, errorcode IS NULL AS succeeded,
        TRY_CAST(json_extract_string(additionaleventdata, '$.bytesTransferredOut') AS BIGINT)
            AS bytes_out,
        TRY_CAST(json_extract_string(additionaleventdata, '$.bytesTransferredIn') AS BIGINT)
            AS object_size,
        (json_extract_string(requestparameters,
                             '$."x-amz-server-side-encryption-customer-algorithm"') IS NOT NULL
         OR coalesce(json_extract_string(additionaleventdata, '$.SSEApplied') = 'SSE_C', false))
            AS sse_c,
        json_extract_string(requestparameters, '$.versionId') AS version_id,
        useragent AS user_agent, 'cloudtrail' AS source, requestid AS request_id,
        eventid AS record_id"""

MACRO: Final = f"""
CREATE OR REPLACE MACRO s3_requests_between(lo, hi) AS TABLE
WITH trail AS NOT MATERIALIZED (
    SELECT {_CT_COLUMNS}
    FROM cloudtrail
    WHERE event_ts >= lo - INTERVAL {TOLERANCE_MINUTES} MINUTE
      AND event_ts < hi + INTERVAL {TOLERANCE_MINUTES} MINUTE
      AND date BETWEEN CAST(lo - INTERVAL 1 DAY AS DATE) AND CAST(hi + INTERVAL 1 DAY AS DATE)
      AND eventsource = 's3.amazonaws.com'
      AND coalesce(eventcategory = 'Data', NOT managementevent, false)  -- data events
      AND requestparameters IS NOT NULL
    -- one trail's copy of a request delivered to two (the caller's and the bucket owner's)
    QUALIFY row_number() OVER (PARTITION BY bucket, request_id, action, key, version_id, event_ts
                               ORDER BY account, record_id) = 1
),
logged AS NOT MATERIALIZED (
    SELECT request_ts AS event_ts, date, aws_account AS account, aws_region AS region,
        bucket_name AS bucket, key_decoded AS key,
        {_case("operation", dict(ACTIONS))} AS action, operation,
        operation IN ('REST.COPY.OBJECT_GET', 'REST.COPY.PART_GET') AS copy_source,
        s3_actor(requester) AS principal, requester, requester IS NULL AS anonymous,
        {_ACCESS_BY_AWS} AS by_aws,
        remoteip AS remote_ip, remoteip_ipv4 AS remote_ipv4, httpstatus AS http_status,
        errorcode AS error_code, coalesce(httpstatus < 300, false) AS succeeded,
        bytessent AS bytes_out, objectsize AS object_size, versionid AS version_id,
        useragent AS user_agent, requestid AS request_id
    FROM s3_access_logs
    WHERE request_ts >= lo - INTERVAL {TOLERANCE_MINUTES} MINUTE
      AND request_ts < hi + INTERVAL {TOLERANCE_MINUTES} MINUTE
      AND date BETWEEN CAST(lo - INTERVAL 1 DAY AS DATE) AND CAST(hi + INTERVAL 1 DAY AS DATE)
)
SELECT l.event_ts, l.date, l.account, l.region, l.bucket, l.key, l.action, l.operation,
    l.copy_source,
    CASE WHEN t.principal IS NOT NULL AND NOT l.anonymous THEN t.principal ELSE l.principal END
        AS principal,
    l.requester, l.anonymous, l.by_aws OR coalesce(t.by_aws, false) AS by_aws,
    l.remote_ip, l.remote_ipv4, l.http_status, l.error_code, l.succeeded, l.bytes_out,
    l.object_size, CASE WHEN l.copy_source THEN NULL ELSE t.sse_c END AS sse_c, l.version_id,
    l.user_agent, 'access_log' AS source, l.request_id, l.request_id AS record_id
FROM logged l LEFT JOIN trail t ON t.bucket = l.bucket AND t.request_id = l.request_id
WHERE l.event_ts >= lo AND l.event_ts < hi
UNION ALL  -- the same columns in the same order
SELECT * FROM trail t
WHERE t.event_ts >= lo AND t.event_ts < hi
  -- not logged by the access logs too: the ids both have, found with the trail's few as
  -- the hash join's build side (a lake of access logs alone is not hashed whole for nothing)
  AND NOT EXISTS (SELECT 1 FROM s3_access_logs l
                  WHERE l.requestid IN (SELECT request_id FROM trail)
                    AND l.request_ts >= lo - INTERVAL {TOLERANCE_MINUTES} MINUTE
                    AND l.request_ts < hi + INTERVAL {TOLERANCE_MINUTES} MINUTE
                    AND l.date BETWEEN CAST(lo - INTERVAL 1 DAY AS DATE)
                                   AND CAST(hi + INTERVAL 1 DAY AS DATE)
                    AND l.bucket_name = t.bucket AND l.requestid = t.request_id)
"""

VIEW: Final = (
    "CREATE OR REPLACE VIEW s3_requests AS SELECT * FROM "
    "s3_requests_between(TIMESTAMPTZ '-infinity', TIMESTAMPTZ 'infinity')"
)
STATEMENTS: Final = (ACTOR_MACRO, MACRO, VIEW)


def bounded(lo: str, hi: str) -> str:
    """The relation over [lo, hi) (SQL expressions of TIMESTAMPTZ), as a query."""
    return f"SELECT * FROM s3_requests_between({lo}, {hi})"
