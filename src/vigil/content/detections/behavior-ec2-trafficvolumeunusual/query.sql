-- Hourly bytes each interface sent to public addresses, against the mean and spread of its
-- earlier hours (a window over the look-back period, this hour excluded).
WITH hourly AS (
    SELECT
        aws_account, aws_region, interface_id,
        to_timestamp(floor("start" / 3600) * 3600) AS hour,
        sum(bytes) AS sent,
        min("start") AS first_start,
        max("end") AS last_end
    FROM flow_logs
    WHERE "start" >= {{since_epoch}} - {{lookback_days}} * 86400 AND "start" < {{until_epoch}}
      AND date BETWEEN {{since_date}} - INTERVAL {{lookback_days}} DAY AND {{until_date}}
      AND log_status = 'OK' AND action = 'ACCEPT'
      AND (flow_direction IS NULL OR flow_direction = 'egress')
      AND is_private_ipv4(srcaddr_ipv4) AND NOT is_private_ipv4(dstaddr_ipv4)
    GROUP BY 1, 2, 3, 4
),
scored AS (
    SELECT *,
        count(*) OVER w AS baseline_hours,
        avg(sent) OVER w AS baseline_mean,
        coalesce(stddev_pop(sent) OVER w, 0) AS baseline_std
    FROM hourly
    WINDOW w AS (PARTITION BY interface_id ORDER BY hour
                 RANGE BETWEEN INTERVAL {{lookback_days}} DAY PRECEDING AND INTERVAL 1 HOUR PRECEDING)
)
SELECT
    hour AS window_start,
    aws_account AS account,
    aws_region AS region,
    interface_id,
    to_timestamp(first_start) AS first_seen,
    to_timestamp(last_end) AS last_seen,
    1 AS hits,
    interface_id AS actor,
    interface_id || ' sent ' || CAST(sent AS VARCHAR) || ' bytes in an hour; its usual is '
        || CAST(CAST(baseline_mean AS BIGINT) AS VARCHAR) || ' bytes' AS summary
FROM scored
WHERE hour >= {{since}}
  AND baseline_hours >= {{min_baseline_hours}}
  AND sent >= {{min_bytes}}
  AND sent > baseline_mean * {{factor}}
  AND sent > baseline_mean + {{sigmas}} * baseline_std
