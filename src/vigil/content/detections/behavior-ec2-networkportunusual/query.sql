-- Instance-initiated connections (ephemeral source port) to public addresses, over the range
-- and the look-back before it. A (interface, port) pair is unusual in the window where it
-- first appears, if the interface was already seen `min_history_days` earlier.
WITH egress AS (
    SELECT aws_account, aws_region, interface_id, dstport, dstaddr, "start", "end"
    FROM flow_logs
    WHERE "start" >= {{since_epoch}} - {{lookback_days}} * 86400 AND "start" < {{until_epoch}}
      AND date BETWEEN {{since_date}} - INTERVAL {{lookback_days}} DAY AND {{until_date}}
      AND log_status = 'OK' AND action = 'ACCEPT' AND protocol IN (6, 17)
      AND srcport >= 32768 AND (flow_direction IS NULL OR flow_direction = 'egress')
      AND NOT is_private_addr(dstaddr_ipv4, dstaddr)
),
history AS (
    SELECT interface_id, min("start") AS known_since FROM egress GROUP BY interface_id
),
firsts AS (
    SELECT interface_id, dstport, min("start") AS first_start FROM egress GROUP BY interface_id, dstport
)
SELECT
    to_timestamp(floor(f.first_start / ({{window_minutes}} * 60)) * ({{window_minutes}} * 60)) AS window_start,
    min(e.aws_account) AS account,
    min(e.aws_region) AS region,
    e.interface_id,
    e.dstport,
    to_timestamp(min(e."start")) AS first_seen,
    to_timestamp(max(e."end")) AS last_seen,
    count(*) AS hits,
    min(e.dstaddr) AS actor,
    e.interface_id || ' used remote port ' || CAST(e.dstport AS VARCHAR) || ' for the first time, to '
        || min(e.dstaddr) AS summary
FROM egress e
JOIN firsts f ON f.interface_id = e.interface_id AND f.dstport = e.dstport
JOIN history h ON h.interface_id = e.interface_id
WHERE f.first_start >= {{since_epoch}}
  AND f.first_start - h.known_since >= {{min_history_days}} * 86400
  AND e."start" < f.first_start + {{window_minutes}} * 60
GROUP BY 1, e.interface_id, e.dstport
