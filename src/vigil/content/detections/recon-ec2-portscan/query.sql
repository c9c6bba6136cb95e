-- One source, many distinct destination ports on one interface, per fixed window.
-- Accepted flows count only when the format shows a SYN that got no SYN-ACK.
-- Two steps (per port, then per source) rather than count(DISTINCT …) beside other
-- aggregates, which DuckDB plans as two aggregations and a join.
WITH per_port AS (
    SELECT
        floor("start" / ({{window_minutes}} * 60)) AS slot,
        aws_account, aws_region, srcaddr, interface_id, dstport,
        min("start") AS first_start, max("end") AS last_end, count(*) AS flows
    FROM flow_logs
    WHERE "start" >= {{since_epoch}} AND "start" < {{until_epoch}}
      AND date BETWEEN {{since_date}} AND {{until_date}}
      AND log_status = 'OK' AND protocol = 6
      AND (action = 'REJECT' OR (tcp_flags IS NOT NULL AND (tcp_flags & 2) = 2 AND (tcp_flags & 16) = 0))
    GROUP BY ALL
)
SELECT
    to_timestamp(slot * ({{window_minutes}} * 60)) AS window_start,
    aws_account AS account,
    aws_region AS region,
    srcaddr,
    interface_id,
    to_timestamp(min(first_start)) AS first_seen,
    to_timestamp(max(last_end)) AS last_seen,
    sum(flows) AS hits,
    srcaddr AS actor,
    srcaddr || ' probed ' || CAST(count(*) AS VARCHAR) || ' ports on ' || interface_id AS summary
FROM per_port
GROUP BY slot, aws_account, aws_region, srcaddr, interface_id
HAVING count(*) >= {{min_ports}}
