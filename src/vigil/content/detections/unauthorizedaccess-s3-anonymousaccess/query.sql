-- Unsigned (anonymous) requests that S3 served from a bucket not named in {{public_buckets}}
-- (s3_requests: server access logs and CloudTrail data events, each request once): the bucket's
-- policy or ACLs let anyone in. At least {{min_requests}} in an hour, per bucket. Refused
-- anonymous requests are the internet knocking and are not counted; AWS services are not users.
SELECT
    date_trunc('hour', event_ts) AS window_start,
    account,
    min(region) AS region,
    bucket,
    min(event_ts) AS first_seen,
    max(event_ts) AS last_seen,
    count(*) AS hits,
    'anonymous' AS actor,
    CAST(count(*) AS VARCHAR) || ' unsigned request(s) served from ' || bucket || ' ('
        || string_agg(DISTINCT coalesce(action, operation), ', ') || ') to '
        || 'about ' || CAST(approx_count_distinct(remote_ip) AS VARCHAR) || ' address(es), e.g. ' || min(remote_ip)
        || ', ' || CAST(count(DISTINCT key) AS VARCHAR) || ' object(s), '
        || format_bytes(CAST(coalesce(sum(bytes_out), 0) AS BIGINT)) || ' sent' AS summary,
    (list(record_id ORDER BY event_ts))[1:20] AS evidence
FROM s3_requests
WHERE event_ts >= {{since}} AND event_ts < {{until}}
  AND date BETWEEN {{since_date}} AND {{until_date}}
  AND anonymous
  AND succeeded
  AND NOT by_aws
  AND NOT ({{public_buckets}} <> '' AND regexp_full_match(bucket, {{public_buckets}}))
GROUP BY 1, 2, 4
HAVING count(*) >= {{min_requests}}
