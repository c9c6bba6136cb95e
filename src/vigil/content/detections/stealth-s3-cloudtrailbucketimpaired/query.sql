-- The bucket that holds CloudTrail's logs deleted, its policy deleted (CloudTrail can no longer
-- write to it) or given a lifecycle rule that expires the logs early. The trail buckets are
-- those named as s3BucketName by CreateTrail / UpdateTrail anywhere in the lake, those the
-- lake's CloudTrail objects were read from (source_file s3://bucket/...), and any bucket whose
-- name contains "cloudtrail".
WITH trail_buckets AS (
    SELECT DISTINCT bucket FROM (
        SELECT coalesce(json_extract_string(requestparameters, '$.s3BucketName'),
                        json_extract_string(responseelements, '$.s3BucketName')) AS bucket
        FROM cloudtrail
        WHERE eventsource = 'cloudtrail.amazonaws.com'
          AND eventname IN ('CreateTrail', 'UpdateTrail')
          AND errorcode IS NULL
        UNION ALL
        SELECT regexp_extract(source_file, '^s3://([^/]+)/', 1) AS bucket
        FROM (SELECT DISTINCT source_file FROM cloudtrail) AS objects
    ) AS named
    WHERE bucket IS NOT NULL AND bucket <> ''
),
changes AS (
    SELECT *, json_extract_string(requestparameters, '$.bucketName') AS bucket
    FROM cloudtrail
    WHERE event_ts >= {{since}} AND event_ts < {{until}}
      AND date BETWEEN {{since_date}} AND {{until_date}}
      AND eventsource = 's3.amazonaws.com'
      AND eventname IN ('PutBucketLifecycle', 'PutBucketLifecycleConfiguration',
                        'DeleteBucket', 'DeleteBucketPolicy')
      AND errorcode IS NULL
),
-- Lifecycle rules, one row each: Rule is an object for one rule and a list for several.
rules AS (
    SELECT
        eventid,
        unnest(list_concat(
            json_extract(requestparameters, '$.LifecycleConfiguration.Rule[*]'),
            [json_extract(requestparameters, '$.LifecycleConfiguration.Rule')])) AS rule
    FROM changes
    WHERE eventname IN ('PutBucketLifecycle', 'PutBucketLifecycleConfiguration')
),
early_expiry AS (
    SELECT DISTINCT eventid
    FROM rules
    WHERE coalesce(json_extract_string(rule, '$.Status'), 'Enabled') = 'Enabled'
      AND (TRY_CAST(json_extract_string(rule, '$.Expiration.Days') AS INTEGER) < {{min_retention_days}}
           OR json_extract_string(rule, '$.Expiration.Date') IS NOT NULL)
)
SELECT
    date_trunc('hour', event_ts) AS window_start,
    recipientaccountid AS account,
    min(awsregion) AS region,
    bucket,
    min(event_ts) AS first_seen,
    max(event_ts) AS last_seen,
    count(*) AS hits,
    max(useridentity.arn) AS actor,
    coalesce(max(useridentity.arn), max(ct_actor(useridentity)), 'someone') || ' called '
        || array_to_string(list_sort(list(DISTINCT eventname)), ', ')
        || ' on ' || bucket || ', a bucket that holds CloudTrail logs' AS summary,
    list(eventid) AS evidence
FROM changes
WHERE (bucket IN (SELECT bucket FROM trail_buckets) OR contains(lower(bucket), 'cloudtrail'))
  AND (eventname IN ('DeleteBucket', 'DeleteBucketPolicy')
       OR eventid IN (SELECT eventid FROM early_expiry))
GROUP BY 1, 2, 4
