WITH hourly AS (
    SELECT
        recipientaccountid AS account, min(awsregion) AS region, useridentity.arn AS principal,
        date_trunc('hour', event_ts) AS hour, count(*) AS reads,
        min(event_ts) AS first_ts, max(event_ts) AS last_ts, max(sourceipaddress) AS last_ip
    FROM cloudtrail
    WHERE event_ts >= {{since}} - INTERVAL {{lookback_days}} DAY AND event_ts < {{until}}
      AND date BETWEEN {{since_date}} - INTERVAL {{lookback_days}} DAY AND {{until_date}}
      AND eventsource = 's3.amazonaws.com' AND eventname = 'GetObject'
      AND useridentity.arn IS NOT NULL AND useridentity.invokedby IS NULL
    GROUP BY recipientaccountid, useridentity.arn, date_trunc('hour', event_ts)
),
scored AS (
    SELECT *,
        count(*) OVER w AS baseline_hours,
        -- hours with no reads count as zero: the mean is over the whole look-back
        coalesce(sum(reads) OVER w, 0) / ({{lookback_days}} * 24.0) AS baseline_mean,
        coalesce(stddev_pop(reads) OVER w, 0) AS baseline_std
    FROM hourly
    WINDOW w AS (PARTITION BY principal ORDER BY hour
                 RANGE BETWEEN INTERVAL {{lookback_days}} DAY PRECEDING AND INTERVAL 1 HOUR PRECEDING)
)
SELECT
    hour AS window_start, account, region, principal,
    first_ts AS first_seen, last_ts AS last_seen, reads AS hits, last_ip AS actor,
    principal || ' read ' || CAST(reads AS VARCHAR) || ' objects in an hour (usual: '
        || CAST(round(baseline_mean, 1) AS VARCHAR) || '), last from ' || last_ip AS summary
FROM scored
WHERE hour >= {{since}}
  AND baseline_hours >= {{min_baseline_hours}}
  AND reads >= {{min_reads}}
  AND reads > baseline_mean * {{factor}}
  AND reads > baseline_mean + {{sigmas}} * baseline_std
