SELECT
    to_timestamp(floor("start" / ({{window_minutes}} * 60)) * ({{window_minutes}} * 60)) AS window_start,
    aws_account AS account,
    aws_region AS region,
    interface_id,
    dstport,
    to_timestamp(min("start")) AS first_seen,
    to_timestamp(max("end")) AS last_seen,
    count(*) AS hits,
    min(srcaddr) AS actor,
    'port ' || CAST(dstport AS VARCHAR) || ' of ' || interface_id || ' accepted probes from '
        || CAST(count(DISTINCT srcaddr) AS VARCHAR) || ' internet addresses' AS summary
FROM flow_logs
WHERE "start" >= {{since_epoch}} AND "start" < {{until_epoch}}
  AND date BETWEEN {{since_date}} AND {{until_date}}
  AND log_status = 'OK' AND action = 'ACCEPT' AND protocol = 6
  AND dstport IN {{ports}} AND packets <= {{max_packets}}
  AND (flow_direction IS NULL OR flow_direction = 'ingress')
  AND srcaddr_ipv4 IS NOT NULL AND NOT is_private_ipv4(srcaddr_ipv4)
  AND NOT EXISTS (SELECT 1 FROM trusted_list u WHERE srcaddr_ipv4 BETWEEN u.lo AND u.hi)
GROUP BY 1, 2, 3, 4, 5
HAVING count(DISTINCT srcaddr) >= {{min_sources}}
