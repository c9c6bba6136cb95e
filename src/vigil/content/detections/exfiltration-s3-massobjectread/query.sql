-- S3 object reads (s3_requests: server access logs and CloudTrail data events, each request
-- once) by one principal, or one address where the requests are anonymous, from one bucket in
-- {{window_minutes}}-minute windows: at least {{min_objects}} distinct objects, or at least
-- {{min_bytes}} bytes sent. A read is a GetObject or the read half of a copy (a copy out of the
-- bucket reads it as surely as a download). Refused reads, AWS services (replication,
-- inventory) and principals matching {{skip_principals}} are not counted.
WITH reads AS (
    SELECT
        time_bucket(INTERVAL {{window_minutes}} MINUTE, event_ts) AS window_start,
        event_ts, account, region, bucket, key, bytes_out, remote_ip, record_id, copy_source,
        CASE WHEN anonymous THEN coalesce(remote_ip, 'anonymous') ELSE principal END AS actor
    FROM s3_requests
    WHERE event_ts >= {{since}} AND event_ts < {{until}}
      AND date BETWEEN {{since_date}} AND {{until_date}}
      AND (action = 'GetObject' OR copy_source)
      AND succeeded
      AND NOT by_aws
      AND NOT ({{skip_principals}} <> '' AND regexp_matches(coalesce(principal, ''), {{skip_principals}}))
)
SELECT
    window_start,
    account,
    min(region) AS region,
    actor,
    bucket,
    min(event_ts) AS first_seen,
    max(event_ts) AS last_seen,
    count(*) AS hits,
    actor || ' read ' || CAST(count(DISTINCT key) AS VARCHAR) || ' objects ('
        || format_bytes(CAST(coalesce(sum(bytes_out), 0) AS BIGINT)) || ') of ' || bucket || ' in '
        || CAST({{window_minutes}} AS VARCHAR) || ' minutes from '
        || 'about ' || CAST(approx_count_distinct(remote_ip) AS VARCHAR) || ' address(es), e.g. ' || min(remote_ip)
        || CASE WHEN bool_or(copy_source) THEN ', copies out of the bucket among them' ELSE '' END
        AS summary,
    (list(record_id ORDER BY event_ts))[1:20] AS evidence
FROM reads
GROUP BY window_start, account, actor, bucket
HAVING count(DISTINCT key) >= {{min_objects}} OR coalesce(sum(bytes_out), 0) >= {{min_bytes}}
