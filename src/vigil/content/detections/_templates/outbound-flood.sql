-- What one interface sent to one public address per window: packets (floods) or bytes (bulk
-- transfers), past a threshold. `min_srcport` 32768 keeps only connections the instance
-- opened itself (an ephemeral source port), not a server's answers to its clients.
-- `min_flow_packets` and `min_flow_bytes` skip ordinary flows before any string work: a flood
-- or a bulk upload shows as heavy aggregation records (one per connection and minute or so).
SELECT
    to_timestamp(floor("start" / ({{window_minutes}} * 60)) * ({{window_minutes}} * 60)) AS window_start,
    aws_account AS account,
    aws_region AS region,
    interface_id,
    dstaddr AS remote_ip,
    to_timestamp(min("start")) AS first_seen,
    to_timestamp(max("end")) AS last_seen,
    count(*) AS hits,
    interface_id AS actor,
    interface_id || ' sent ' || CAST(sum(packets) AS VARCHAR) || ' packets / '
        || CAST(sum(bytes) AS VARCHAR) || ' bytes to ' || dstaddr AS summary
FROM flow_logs
WHERE "start" >= {{since_epoch}} AND "start" < {{until_epoch}}
  AND date BETWEEN {{since_date}} AND {{until_date}}
  AND log_status = 'OK' AND action = 'ACCEPT' AND protocol IN {{protocols}}
  AND srcport >= {{min_srcport}} AND packets >= {{min_flow_packets}} AND bytes >= {{min_flow_bytes}}
  AND (flow_direction IS NULL OR flow_direction = 'egress')
  AND is_private_ipv4(srcaddr_ipv4)
  AND dstaddr_ipv4 IS NOT NULL AND NOT is_private_ipv4(dstaddr_ipv4)
  AND NOT EXISTS (SELECT 1 FROM trusted_list u WHERE dstaddr_ipv4 BETWEEN u.lo AND u.hi)
GROUP BY 1, 2, 3, 4, 5
HAVING sum(packets) >= {{min_packets}} AND sum(bytes) >= {{min_bytes}}
