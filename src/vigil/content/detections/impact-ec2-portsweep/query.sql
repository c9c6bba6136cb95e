-- One internet address trying the same port on many interfaces, per fixed window. Two steps
-- (per interface, then per port) rather than count(DISTINCT …) beside other aggregates.
WITH per_interface AS (
    SELECT
        floor("start" / ({{window_minutes}} * 60)) AS slot,
        aws_account, aws_region, srcaddr, dstport, interface_id,
        min("start") AS first_start, max("end") AS last_end, count(*) AS flows
    FROM flow_logs
    WHERE "start" >= {{since_epoch}} AND "start" < {{until_epoch}}
      AND date BETWEEN {{since_date}} AND {{until_date}}
      AND log_status = 'OK' AND protocol IN (6, 17) AND packets <= {{max_packets}}
      AND (flow_direction IS NULL OR flow_direction = 'ingress')
      AND NOT is_private_addr(srcaddr_ipv4, srcaddr)
    GROUP BY ALL
)
SELECT
    to_timestamp(slot * ({{window_minutes}} * 60)) AS window_start,
    aws_account AS account,
    aws_region AS region,
    srcaddr,
    dstport,
    to_timestamp(min(first_start)) AS first_seen,
    to_timestamp(max(last_end)) AS last_seen,
    sum(flows) AS hits,
    srcaddr AS actor,
    srcaddr || ' tried port ' || CAST(dstport AS VARCHAR) || ' on '
        || CAST(count(*) AS VARCHAR) || ' interfaces' AS summary
FROM per_interface
GROUP BY slot, aws_account, aws_region, srcaddr, dstport
HAVING count(*) >= {{min_hosts}}
