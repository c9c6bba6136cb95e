-- S3 object deletions (s3_requests: server access logs and CloudTrail data events, each
-- request once): one principal, or one address where the requests are anonymous, deleting many
-- objects of one bucket within {{window_minutes}} minutes. A deletion naming one key counts 1,
-- or {{version_weight}} when it names a versionId (that version is gone for good: how
-- ransomware defeats versioning). Access logs name every key of a multi-object delete
-- (BATCH.DELETE.OBJECT, one DeleteObject each); CloudTrail logs DeleteObjects without its keys,
-- so there each batch counts as {{batch_weight}} objects. Calls that follow each other within
-- the window while the count is at or over {{min_objects}} form one burst, one hit. Lifecycle
-- expiry, AWS services and refused calls are not counted.
WITH deletions AS (
    SELECT
        event_ts,
        record_id,
        action,
        account,
        region,
        CASE WHEN anonymous THEN coalesce(remote_ip, 'anonymous') ELSE principal END AS actor,
        bucket,
        version_id IS NOT NULL AS version_removed,
        CASE WHEN action = 'DeleteObjects' THEN {{batch_weight}}
             WHEN version_id IS NOT NULL THEN {{version_weight}}
             ELSE 1 END AS weight
    FROM s3_requests
    WHERE event_ts >= {{since}} - INTERVAL {{lookback_minutes}} MINUTE AND event_ts < {{until}}
      AND date BETWEEN CAST({{since}} - INTERVAL {{lookback_minutes}} MINUTE AS DATE) AND {{until_date}}
      -- the request of a multi-object delete counts where its keys are not logged one by one
      AND (action = 'DeleteObject' OR (action = 'DeleteObjects' AND source = 'cloudtrail'))
      AND succeeded
      AND NOT by_aws
),
counted AS (
    SELECT *,
        sum(weight) OVER w AS n_objects,
        min(event_ts) OVER w AS window_first,
        sum(CASE WHEN action = 'DeleteObjects' THEN 1 ELSE 0 END) OVER w AS n_batches,
        sum(CASE WHEN version_removed THEN 1 ELSE 0 END) OVER w AS n_versions
    FROM deletions
    WINDOW w AS (PARTITION BY account, actor, bucket ORDER BY event_ts
                 RANGE BETWEEN INTERVAL {{window_minutes}} MINUTE PRECEDING AND CURRENT ROW)
),
gaps AS (
    SELECT *,
        CASE WHEN event_ts - lag(event_ts) OVER (PARTITION BY account, actor, bucket ORDER BY event_ts, record_id)
                  <= INTERVAL {{window_minutes}} MINUTE THEN 0 ELSE 1 END AS new_burst
    FROM counted
    WHERE n_objects >= {{min_objects}}
),
bursts AS (
    SELECT *,
        sum(new_burst) OVER (PARTITION BY account, actor, bucket ORDER BY event_ts, record_id
                             ROWS UNBOUNDED PRECEDING) AS burst
    FROM gaps
)
SELECT
    min(window_first) AS window_start,
    account,
    min(region) AS region,
    actor,
    bucket,
    min(window_first) AS first_seen,
    max(event_ts) AS last_seen,
    count(*) AS hits,
    coalesce(actor, 'someone') || ' deleted from ' || coalesce(bucket, 'a bucket') || ': up to '
        || CAST(max(n_objects) AS VARCHAR) || ' objects in ' || CAST({{window_minutes}} AS VARCHAR) || ' minutes'
        || CASE WHEN max(n_batches) > 0
                THEN ', counting ' || CAST(max(n_batches) AS VARCHAR) || ' DeleteObjects batch(es) as '
                     || CAST({{batch_weight}} AS VARCHAR) || ' each'
                ELSE '' END
        || CASE WHEN max(n_versions) > 0
                THEN ', counting ' || CAST(max(n_versions) AS VARCHAR) || ' object version(s) deleted for good as '
                     || CAST({{version_weight}} AS VARCHAR) || ' each (versioning will not bring them back)'
                ELSE '' END AS summary,
    (list(record_id ORDER BY event_ts))[1:20] AS evidence
FROM bursts
GROUP BY account, actor, bucket, burst
HAVING max(event_ts) >= {{since}}
