-- S3 object reads (s3_requests: server access logs and CloudTrail data events, each request
-- once) by one principal, or one address where the requests are anonymous, from one bucket in
-- {{window_minutes}}-minute windows: at least {{min_objects}} distinct objects, or at least
-- {{min_bytes}} bytes sent, and at least {{history_factor}} times the most that principal read
-- of that bucket in any window of the {{lookback_days}} days before (an application that reads
-- a thousand objects every hour is its usual self; the same volume from a principal that reads
-- a dozen is not). A read is a GetObject or the read half of a copy (a copy out of the bucket
-- reads it as surely as a download). Refused reads, AWS services (replication, inventory) and
-- principals matching {{skip_principals}} are not counted.
WITH reads AS (
    SELECT
        time_bucket(INTERVAL {{window_minutes}} MINUTE, event_ts) AS window_start,
        event_ts, account, region, bucket, key, bytes_out, remote_ip, record_id, copy_source,
        CASE WHEN anonymous THEN coalesce(remote_ip, 'anonymous') ELSE principal END AS actor
    FROM s3_requests
    WHERE event_ts >= {{since}} - INTERVAL {{lookback_days}} DAY AND event_ts < {{until}}
      AND date BETWEEN CAST({{since}} - INTERVAL {{lookback_days}} DAY AS DATE) AND {{until_date}}
      AND (action = 'GetObject' OR copy_source)
      AND succeeded
      AND NOT by_aws
      AND NOT ({{skip_principals}} <> '' AND regexp_matches(coalesce(principal, ''), {{skip_principals}}))
),
windows AS (
    SELECT window_start, account, actor, bucket, count(DISTINCT key) AS objects,
        coalesce(sum(bytes_out), 0) AS sent
    FROM reads
    GROUP BY window_start, account, actor, bucket
),
usual AS (
    SELECT *,
        coalesce(max(objects) OVER history, 0) AS usual_objects,
        coalesce(max(sent) OVER history, 0) AS usual_sent
    FROM windows
    WINDOW history AS (PARTITION BY account, actor, bucket ORDER BY window_start
                       RANGE BETWEEN INTERVAL {{lookback_days}} DAY PRECEDING
                             AND INTERVAL 1 SECOND PRECEDING)
),
unusual AS (
    SELECT * FROM usual
    WHERE window_start >= time_bucket(INTERVAL {{window_minutes}} MINUTE, {{since}})
      AND ((objects >= {{min_objects}} AND objects >= {{history_factor}} * usual_objects)
           OR (sent >= {{min_bytes}} AND sent >= {{history_factor}} * usual_sent))
)
SELECT
    r.window_start,
    r.account,
    min(r.region) AS region,
    r.actor,
    r.bucket,
    min(r.event_ts) AS first_seen,
    max(r.event_ts) AS last_seen,
    count(*) AS hits,
    r.actor || ' read ' || CAST(any_value(u.objects) AS VARCHAR) || ' objects ('
        || format_bytes(CAST(any_value(u.sent) AS BIGINT)) || ') of ' || r.bucket || ' in '
        || CAST({{window_minutes}} AS VARCHAR) || ' minutes from '
        || 'about ' || CAST(approx_count_distinct(r.remote_ip) AS VARCHAR) || ' address(es), e.g. ' || min(r.remote_ip)
        || CASE WHEN bool_or(r.copy_source) THEN ', copies out of the bucket among them' ELSE '' END
        || CASE WHEN any_value(u.usual_objects) > 0
                THEN '; its most in a window of the ' || CAST({{lookback_days}} AS VARCHAR)
                     || ' days before: ' || CAST(any_value(u.usual_objects) AS VARCHAR) || ' objects'
                ELSE '; no reads of it in the ' || CAST({{lookback_days}} AS VARCHAR) || ' days before' END
        AS summary,
    (list(r.record_id ORDER BY r.event_ts))[1:20] AS evidence
FROM reads r
JOIN unusual u ON u.window_start = r.window_start AND u.account = r.account
    AND u.actor = r.actor AND u.bucket = r.bucket
GROUP BY r.window_start, r.account, r.actor, r.bucket
