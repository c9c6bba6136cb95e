-- Key guessing (s3_requests: server access logs and CloudTrail data events, each request once):
-- one principal, or one address where the requests are anonymous, asked one bucket for at
-- least {{min_keys}} distinct keys that S3 refused (403) or did not have (404) within
-- {{window_minutes}} minutes, and such answers were at least {{min_failed_share}} of its
-- requests to the bucket. Reads, heads and listings count (the ways to probe for an object);
-- AWS services are not users.
WITH probes AS (
    SELECT
        time_bucket(INTERVAL {{window_minutes}} MINUTE, event_ts) AS window_start,
        event_ts, account, region, bucket, key, remote_ip, record_id, http_status,
        http_status IN (403, 404) AS missed,
        CASE WHEN anonymous THEN coalesce(remote_ip, 'anonymous') ELSE principal END AS actor
    FROM s3_requests
    WHERE event_ts >= {{since}} AND event_ts < {{until}}
      AND date BETWEEN {{since_date}} AND {{until_date}}
      AND action IN ('GetObject', 'HeadObject', 'GetObjectAcl', 'GetObjectTagging',
                     'GetObjectAttributes', 'ListObjects', 'ListObjectVersions')
      AND NOT by_aws
),
-- cheap counts first: only the groups that can pass are counted by distinct key (an open
-- bucket has as many anonymous groups as addresses)
candidates AS (
    SELECT window_start, account, actor, bucket
    FROM probes
    GROUP BY ALL
    HAVING count(*) FILTER (WHERE missed) >= {{min_keys}}
       AND count(*) FILTER (WHERE missed) >= {{min_failed_share}} * count(*)
)
SELECT
    p.window_start,
    p.account,
    min(p.region) AS region,
    p.actor,
    p.bucket,
    min(p.event_ts) FILTER (WHERE p.missed) AS first_seen,
    max(p.event_ts) FILTER (WHERE p.missed) AS last_seen,
    count(*) FILTER (WHERE p.missed) AS hits,
    p.actor || ' asked ' || p.bucket || ' for '
        || CAST(count(DISTINCT p.key) FILTER (WHERE p.missed) AS VARCHAR)
        || ' keys it refused or did not have ('
        || CAST(count(*) FILTER (WHERE p.http_status = 403) AS VARCHAR) || ' x 403, '
        || CAST(count(*) FILTER (WHERE p.http_status = 404) AS VARCHAR) || ' x 404) in '
        || CAST({{window_minutes}} AS VARCHAR) || ' minutes, e.g. '
        || min(p.key) FILTER (WHERE p.missed) || ', from about '
        || CAST(approx_count_distinct(p.remote_ip) AS VARCHAR) || ' address(es)' AS summary,
    (list(p.record_id ORDER BY p.event_ts) FILTER (WHERE p.missed))[1:20] AS evidence
FROM probes p
SEMI JOIN candidates c ON c.window_start = p.window_start AND c.account = p.account
    AND c.actor = p.actor AND c.bucket = p.bucket
GROUP BY p.window_start, p.account, p.actor, p.bucket
HAVING count(DISTINCT p.key) FILTER (WHERE p.missed) >= {{min_keys}}
