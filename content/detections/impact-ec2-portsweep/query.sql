SELECT
    to_timestamp(floor("start" / ({{window_minutes}} * 60)) * ({{window_minutes}} * 60)) AS window_start,
    aws_account AS account,
    aws_region AS region,
    srcaddr,
    dstport,
    to_timestamp(min("start")) AS first_seen,
    to_timestamp(max("end")) AS last_seen,
    count(*) AS hits,
    srcaddr AS actor,
    srcaddr || ' tried port ' || CAST(dstport AS VARCHAR) || ' on '
        || CAST(count(DISTINCT interface_id) AS VARCHAR) || ' interfaces' AS summary
FROM flow_logs
WHERE "start" >= {{since_epoch}} AND "start" < {{until_epoch}}
  AND date BETWEEN {{since_date}} AND {{until_date}}
  AND log_status = 'OK' AND protocol IN (6, 17) AND packets <= {{max_packets}}
  AND (flow_direction IS NULL OR flow_direction = 'ingress')
  AND NOT is_private_ip(srcaddr)
GROUP BY 1, 2, 3, 4, 5
HAVING count(DISTINCT interface_id) >= {{min_hosts}}
