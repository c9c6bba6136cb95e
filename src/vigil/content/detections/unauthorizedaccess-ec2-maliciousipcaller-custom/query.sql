-- Accepted flows with either end inside a threat-list range (IPv4 or IPv6) and not inside a
-- trusted-list range; the listed end is the remote one (lists hold public addresses only).
-- The distinct public addresses are matched first, by hash per prefix length (lists can be
-- large; a BETWEEN join would be a range join), then the flows of the few listed ones read.
WITH ends AS (
    SELECT srcaddr_ipv4 AS n, CASE WHEN srcaddr_ipv4 IS NULL THEN srcaddr END AS ip,
        dstaddr_ipv4 AS m, CASE WHEN dstaddr_ipv4 IS NULL THEN dstaddr END AS ip2
    FROM flow_logs
    WHERE "start" >= {{since_epoch}} AND "start" < {{until_epoch}}
      AND date BETWEEN {{since_date}} AND {{until_date}}
      AND log_status = 'OK' AND action = 'ACCEPT'
),
v4 AS (
    SELECT n FROM ends WHERE NOT is_private_ipv4(n)
    UNION SELECT m FROM ends WHERE NOT is_private_ipv4(m)
),
v6 AS (
    SELECT ip FROM ends WHERE contains(ip, ':') UNION SELECT ip2 FROM ends WHERE contains(ip2, ':')
),
keyed4 AS (
    SELECT a.n, p.prefix, CAST(a.n AS UBIGINT) >> (32 - p.prefix) AS net_key
    FROM v4 a CROSS JOIN (SELECT DISTINCT prefix FROM threat_list WHERE version = 4) p
),
listed4 AS (
    SELECT k.n, min(t.list_name) AS list_name
    FROM keyed4 k JOIN threat_list t ON t.prefix = k.prefix AND t.net_key = k.net_key
    WHERE NOT is_trusted_addr(k.n, NULL)
    GROUP BY k.n
),
listed6 AS (
    SELECT a.ip, min(t.list_name) AS list_name
    FROM v6 a JOIN threat_list t ON ipv6_key(a.ip) BETWEEN t.lo6 AND t.hi6
    WHERE NOT is_trusted_addr(NULL, a.ip)
    GROUP BY a.ip
),
flows AS (
    SELECT f.*,
        coalesce(s4.list_name, s6.list_name, d4.list_name, d6.list_name) AS list_name,
        CASE WHEN s4.n IS NOT NULL OR s6.ip IS NOT NULL THEN f.srcaddr ELSE f.dstaddr END
            AS remote_ip
    FROM flow_logs f
    LEFT JOIN listed4 s4 ON s4.n = f.srcaddr_ipv4
    LEFT JOIN listed4 d4 ON d4.n = f.dstaddr_ipv4
    LEFT JOIN listed6 s6 ON s6.ip = CASE WHEN f.srcaddr_ipv4 IS NULL THEN f.srcaddr END
    LEFT JOIN listed6 d6 ON d6.ip = CASE WHEN f.dstaddr_ipv4 IS NULL THEN f.dstaddr END
    WHERE f."start" >= {{since_epoch}} AND f."start" < {{until_epoch}}
      AND f.date BETWEEN {{since_date}} AND {{until_date}}
      AND f.log_status = 'OK' AND f.action = 'ACCEPT'
      AND (coalesce(s4.n, d4.n) IS NOT NULL OR coalesce(s6.ip, d6.ip) IS NOT NULL)
)
SELECT
    to_timestamp(floor(f."start" / ({{window_minutes}} * 60)) * ({{window_minutes}} * 60)) AS window_start,
    f.aws_account AS account,
    f.aws_region AS region,
    f.remote_ip,
    f.interface_id,
    to_timestamp(min(f."start")) AS first_seen,
    to_timestamp(max(f."end")) AS last_seen,
    count(*) AS hits,
    f.remote_ip AS actor,
    f.interface_id || ' exchanged ' || CAST(sum(f.bytes) AS VARCHAR) || ' bytes with '
        || f.remote_ip || ' (' || min(f.list_name) || ')' AS summary
FROM flows f
GROUP BY 1, 2, 3, 4, 5
