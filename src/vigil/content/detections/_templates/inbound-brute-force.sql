-- Many short inbound sessions to the port from one address, per fixed window.
SELECT
    to_timestamp(floor("start" / ({{window_minutes}} * 60)) * ({{window_minutes}} * 60)) AS window_start,
    aws_account AS account,
    aws_region AS region,
    srcaddr,
    interface_id,
    to_timestamp(min("start")) AS first_seen,
    to_timestamp(max("end")) AS last_seen,
    count(*) AS hits,
    srcaddr AS actor,
    srcaddr || ' opened ' || CAST(count(*) AS VARCHAR) || ' short sessions to port '
        || CAST({{port}} AS VARCHAR) || ' on ' || interface_id AS summary
FROM flow_logs
WHERE "start" >= {{since_epoch}} AND "start" < {{until_epoch}}
  AND date BETWEEN {{since_date}} AND {{until_date}}
  AND log_status = 'OK' AND protocol = 6 AND dstport = {{port}}
  AND packets <= {{max_packets}}
  AND (flow_direction IS NULL OR flow_direction = 'ingress')
  AND NOT is_trusted_addr(srcaddr_ipv4, srcaddr)
GROUP BY 1, 2, 3, 4, 5
HAVING count(*) >= {{min_attempts}}
