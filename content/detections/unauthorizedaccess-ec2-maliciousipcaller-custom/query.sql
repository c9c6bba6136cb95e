-- Accepted flows whose remote end (the side that is not the interface's private address) is
-- inside a threat-list range and not inside a trusted-list range.
WITH flows AS (
    SELECT *,
        CASE WHEN is_private_addr(srcaddr_ipv4, srcaddr) THEN dstaddr ELSE srcaddr END AS remote_ip,
        CASE WHEN is_private_addr(srcaddr_ipv4, srcaddr) THEN dstaddr_ipv4 ELSE srcaddr_ipv4 END
            AS remote_ipv4
    FROM flow_logs
    WHERE "start" >= {{since_epoch}} AND "start" < {{until_epoch}}
      AND date BETWEEN {{since_date}} AND {{until_date}}
      AND log_status = 'OK' AND action = 'ACCEPT'
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
        || f.remote_ip || ' (' || min(t.list_name) || ')' AS summary
FROM flows f
JOIN threat_list t ON f.remote_ipv4 BETWEEN t.lo AND t.hi
WHERE NOT EXISTS (SELECT 1 FROM trusted_list u WHERE f.remote_ipv4 BETWEEN u.lo AND u.hi)
GROUP BY 1, 2, 3, 4, 5
