-- S3 requests (s3_requests: server access logs and CloudTrail data events, each request once)
-- from an address inside a range of one of the user's threat lists (IPv4 or IPv6; `vigil intel
-- add --threat`), unless a trusted list holds it. Lists carry no kind, only their file name:
-- {{lists}} is a regular expression the name must match ('' = every list), {{skip_lists}} one it
-- must not ('' = none), which is how the Tor unit and the .Custom unit share the lists out.
-- Refused requests count: an attempt is the signal. Requests by AWS services are not users'.
-- The distinct addresses are matched first, IPv4 (as integers) by hash per prefix length,
-- IPv6 by range.
WITH calls AS (
    SELECT event_ts, account, region, bucket, remote_ip, remote_ipv4, principal, action,
        operation, succeeded, record_id
    FROM s3_requests
    WHERE event_ts >= {{since}} AND event_ts < {{until}}
      AND date BETWEEN {{since_date}} AND {{until_date}}
      AND remote_ip IS NOT NULL
      AND NOT by_aws
),
lists AS (
    SELECT * FROM (SELECT *, regexp_extract(list_name, '[^/]*$') AS file FROM threat_list)
    WHERE ({{lists}} = '' OR regexp_matches(file, {{lists}}))
      AND ({{skip_lists}} = '' OR NOT regexp_matches(file, {{skip_lists}}))
),
-- the distinct IPv4 addresses as the stored integers (cheap to hash), IPv6 as text
sources4 AS (
    SELECT DISTINCT remote_ipv4 AS n FROM calls
    WHERE remote_ipv4 IS NOT NULL AND EXISTS (SELECT 1 FROM lists WHERE version = 4)
),
sources6 AS (
    SELECT DISTINCT remote_ip AS ip FROM calls WHERE remote_ipv4 IS NULL AND contains(remote_ip, ':')
),
keyed4 AS (
    SELECT s.n, p.prefix, CAST(s.n AS UBIGINT) >> (32 - p.prefix) AS net_key
    FROM sources4 s CROSS JOIN (SELECT DISTINCT prefix FROM lists WHERE version = 4) p
),
listed4 AS (
    SELECT k.n, min(t.file) AS list_name
    FROM keyed4 k JOIN lists t ON t.prefix = k.prefix AND t.net_key = k.net_key
    WHERE NOT is_trusted_addr(k.n, NULL)
    GROUP BY k.n
),
listed6 AS (
    SELECT s.ip, min(t.file) AS list_name
    FROM sources6 s JOIN lists t ON ipv6_key(s.ip) BETWEEN t.lo6 AND t.hi6
    WHERE NOT is_trusted_addr(NULL, s.ip)
    GROUP BY s.ip
),
matched AS (
    SELECT c.*, l.list_name FROM calls c JOIN listed4 l ON l.n = c.remote_ipv4
    UNION ALL
    SELECT c.*, l.list_name FROM calls c JOIN listed6 l ON l.ip = c.remote_ip
    WHERE c.remote_ipv4 IS NULL
)
SELECT
    date_trunc('hour', c.event_ts) AS window_start,
    c.account,
    min(c.region) AS region,
    c.remote_ip AS source_ip,
    c.principal AS actor,
    c.bucket,
    min(c.event_ts) AS first_seen,
    max(c.event_ts) AS last_seen,
    count(*) AS hits,
    c.remote_ip || ' (on threat list ' || min(c.list_name) || ') made '
        || CAST(count(*) AS VARCHAR) || ' request(s) to ' || c.bucket || ' as ' || c.principal
        || ': ' || string_agg(DISTINCT coalesce(c.action, c.operation), ', ')
        || CASE WHEN count(*) FILTER (WHERE NOT c.succeeded) > 0
                THEN ' (' || CAST(count(*) FILTER (WHERE NOT c.succeeded) AS VARCHAR) || ' refused)'
                ELSE '' END AS summary,
    (list(c.record_id ORDER BY c.event_ts))[1:20] AS evidence
FROM matched c
GROUP BY 1, 2, 4, 5, 6
