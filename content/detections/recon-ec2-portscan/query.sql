-- One source, many distinct destination ports on one interface, per fixed window.
-- Accepted flows count only when the format shows a SYN that got no SYN-ACK.
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
    srcaddr || ' probed ' || CAST(count(DISTINCT dstport) AS VARCHAR) || ' ports on ' || interface_id AS summary
FROM flow_logs
WHERE "start" >= {{since_epoch}} AND "start" < {{until_epoch}}
  AND date BETWEEN {{since_date}} AND {{until_date}}
  AND log_status = 'OK' AND protocol = 6
  AND (action = 'REJECT' OR (tcp_flags IS NOT NULL AND (tcp_flags & 2) = 2 AND (tcp_flags & 16) = 0))
GROUP BY 1, 2, 3, 4, 5
HAVING count(DISTINCT dstport) >= {{min_ports}}
