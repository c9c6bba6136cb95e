-- S3 data events: one principal deleting many objects of one bucket within {{window_minutes}}
-- minutes. DeleteObject names one key and counts 1, or {{version_weight}} when it names a
-- versionId (that version is gone for good: how ransomware defeats versioning); DeleteObjects
-- (up to 1,000 keys) is logged without its keys, so each batch counts as {{batch_weight}}
-- objects. Calls that follow each other within the window while the count is at or over
-- {{min_objects}} form one burst, one hit. AWS acting for the account (the S3 service itself)
-- and refused calls are not counted.
WITH deletions AS (
    SELECT
        event_ts,
        eventid,
        eventname,
        recipientaccountid AS account,
        awsregion AS region,
        ct_actor(useridentity) AS principal,
        json_extract_string(requestparameters, '$.bucketName') AS bucket,
        json_extract_string(requestparameters, '$.versionId') IS NOT NULL AS version_removed,
        CASE WHEN eventname = 'DeleteObjects' THEN {{batch_weight}}
             WHEN json_extract_string(requestparameters, '$.versionId') IS NOT NULL THEN {{version_weight}}
             ELSE 1 END AS weight
    FROM cloudtrail
    WHERE event_ts >= {{since}} - INTERVAL {{lookback_minutes}} MINUTE AND event_ts < {{until}}
      AND date BETWEEN CAST({{since}} - INTERVAL {{lookback_minutes}} MINUTE AS DATE) AND {{until_date}}
      AND eventsource = 's3.amazonaws.com'
      AND eventname IN ('DeleteObject', 'DeleteObjects')
      AND errorcode IS NULL
      AND NOT ct_by_aws(useridentity, sourceipaddress)
),
counted AS (
    SELECT *,
        sum(weight) OVER w AS n_objects,
        min(event_ts) OVER w AS window_first,
        sum(CASE WHEN eventname = 'DeleteObjects' THEN 1 ELSE 0 END) OVER w AS n_batches,
        sum(CASE WHEN version_removed THEN 1 ELSE 0 END) OVER w AS n_versions
    FROM deletions
    WINDOW w AS (PARTITION BY account, principal, bucket ORDER BY event_ts
                 RANGE BETWEEN INTERVAL {{window_minutes}} MINUTE PRECEDING AND CURRENT ROW)
),
gaps AS (
    SELECT *,
        CASE WHEN event_ts - lag(event_ts) OVER (PARTITION BY account, principal, bucket ORDER BY event_ts, eventid)
                  <= INTERVAL {{window_minutes}} MINUTE THEN 0 ELSE 1 END AS new_burst
    FROM counted
    WHERE n_objects >= {{min_objects}}
),
bursts AS (
    SELECT *,
        sum(new_burst) OVER (PARTITION BY account, principal, bucket ORDER BY event_ts, eventid
                             ROWS UNBOUNDED PRECEDING) AS burst
    FROM gaps
)
SELECT
    min(window_first) AS window_start,
    account,
    min(region) AS region,
    principal AS actor,
    bucket,
    min(window_first) AS first_seen,
    max(event_ts) AS last_seen,
    count(*) AS hits,
    coalesce(principal, 'someone') || ' deleted from ' || coalesce(bucket, 'a bucket') || ': up to '
        || CAST(max(n_objects) AS VARCHAR) || ' objects in ' || CAST({{window_minutes}} AS VARCHAR) || ' minutes'
        || CASE WHEN max(n_batches) > 0
                THEN ', counting ' || CAST(max(n_batches) AS VARCHAR) || ' DeleteObjects batch(es) as '
                     || CAST({{batch_weight}} AS VARCHAR) || ' each'
                ELSE '' END
        || CASE WHEN max(n_versions) > 0
                THEN ', counting ' || CAST(max(n_versions) AS VARCHAR) || ' object version(s) deleted for good as '
                     || CAST({{version_weight}} AS VARCHAR) || ' each (versioning will not bring them back)'
                ELSE '' END AS summary,
    list(eventid ORDER BY event_ts) AS evidence
FROM bursts
GROUP BY account, principal, bucket, burst
HAVING max(event_ts) >= {{since}}
