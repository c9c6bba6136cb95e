-- Objects of one bucket written with a key the caller supplied (SSE-C), by one principal (or,
-- for anonymous requests, one address): s3_requests, each request once. A write is PutObject,
-- CopyObject onto the object (a copy onto itself re-encrypts it in place), or a multipart
-- upload's parts. sse_c is what CloudTrail recorded (the
-- x-amz-server-side-encryption-customer-algorithm header, or SSEApplied SSE_C); an access-log
-- record carries it when the trail has the same request (server access logs record no
-- encryption). Writes that follow each other within {{window_minutes}} minutes while the
-- distinct objects of the window reach {{min_objects}} form one burst, one hit. Refused
-- writes, the read half of a copy and AWS acting for itself are not counted.
WITH writes AS (
    SELECT event_ts, record_id, account, region, bucket, key, remote_ip,
        CASE WHEN anonymous THEN coalesce(remote_ip, 'anonymous') ELSE principal END AS actor
    FROM s3_requests
    WHERE event_ts >= {{since}} - INTERVAL {{window_minutes}} MINUTE AND event_ts < {{until}}
      AND date BETWEEN CAST({{since}} - INTERVAL {{window_minutes}} MINUTE AS DATE) AND {{until_date}}
      AND action IN ('PutObject', 'CopyObject', 'CreateMultipartUpload', 'UploadPart',
                     'UploadPartCopy')
      AND NOT copy_source
      AND sse_c
      AND succeeded
      AND NOT by_aws
),
counted AS (
    SELECT *,
        count(DISTINCT key) OVER (PARTITION BY account, actor, bucket ORDER BY event_ts
            RANGE BETWEEN INTERVAL {{window_minutes}} MINUTE PRECEDING AND CURRENT ROW) AS n_objects
    FROM writes
),
gaps AS (
    SELECT *,
        CASE WHEN event_ts - lag(event_ts) OVER (PARTITION BY account, actor, bucket ORDER BY event_ts, record_id)
                  <= INTERVAL {{window_minutes}} MINUTE THEN 0 ELSE 1 END AS new_burst
    FROM counted
),
bursts AS (
    SELECT *,
        sum(new_burst) OVER (PARTITION BY account, actor, bucket ORDER BY event_ts, record_id
                             ROWS UNBOUNDED PRECEDING) AS burst
    FROM gaps
)
SELECT
    min(event_ts) AS window_start,
    account,
    min(region) AS region,
    actor,
    bucket,
    min(event_ts) AS first_seen,
    max(event_ts) AS last_seen,
    count(*) AS hits,
    actor || ' wrote ' || CAST(count(DISTINCT key) AS VARCHAR) || ' objects of ' || bucket
        || ' with a customer-provided key (SSE-C), up to ' || CAST(max(n_objects) AS VARCHAR)
        || ' in ' || CAST({{window_minutes}} AS VARCHAR) || ' minutes, from ' || min(remote_ip)
        AS summary,
    (list(record_id ORDER BY event_ts))[1:20] AS evidence
FROM bursts
GROUP BY account, actor, bucket, burst
HAVING max(n_objects) >= {{min_objects}} AND max(event_ts) >= {{since}}
