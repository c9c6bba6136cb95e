-- Connections an interface opened (ephemeral source port) to public addresses on the given
-- destination ports. Replies from a local service to a client's port never qualify.
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
    interface_id || ' connected to ' || dstaddr || ' on port(s) '
        || string_agg(DISTINCT CAST(dstport AS VARCHAR), ', ') AS summary
FROM flow_logs
WHERE "start" >= {{since_epoch}} AND "start" < {{until_epoch}}
  AND date BETWEEN {{since_date}} AND {{until_date}}
  AND log_status = 'OK' AND action = 'ACCEPT' AND protocol = 6
  AND dstport IN {{ports}}
  AND srcport >= 32768
  AND (flow_direction IS NULL OR flow_direction = 'egress')
  AND dstaddr_ipv4 IS NOT NULL AND NOT is_private_ipv4(dstaddr_ipv4)
  AND NOT EXISTS (SELECT 1 FROM trusted_list u WHERE dstaddr_ipv4 BETWEEN u.lo AND u.hi)
GROUP BY 1, 2, 3, 4, 5
HAVING count(*) >= {{min_flows}}
