WITH minutes AS (
    SELECT
        recipientaccountid AS account, awsregion AS region,
        eventsource AS event_source, eventname AS event_name,
        date_trunc('minute', event_ts) AS minute, count(*) AS calls,
        min(event_ts) AS first_ts, max(event_ts) AS last_ts,
        max(coalesce(useridentity.arn, sourceipaddress)) AS caller
    FROM cloudtrail
    WHERE event_ts >= {{since}} - INTERVAL {{lookback_days}} DAY AND event_ts < {{until}}
      AND date BETWEEN {{since_date}} - INTERVAL {{lookback_days}} DAY AND {{until_date}}
      AND coalesce(managementevent, true) AND readonly = false AND eventname IS NOT NULL
    GROUP BY 1, 2, 3, 4, 5
),
scored AS (
    SELECT *,
        coalesce(sum(calls) OVER w, 0) / ({{lookback_days}} * 1440.0) AS baseline_rate,
        min(minute) OVER (PARTITION BY account, region, event_source, event_name ORDER BY minute) AS known_since
    FROM minutes
    WINDOW w AS (PARTITION BY account, region, event_source, event_name ORDER BY minute
                 RANGE BETWEEN INTERVAL {{lookback_days}} DAY PRECEDING AND INTERVAL 1 MINUTE PRECEDING)
)
SELECT
    minute AS window_start, account, region, event_source, event_name,
    first_ts AS first_seen, last_ts AS last_seen, calls AS hits, caller AS actor,
    event_name || ': ' || CAST(calls AS VARCHAR) || ' calls in a minute (baseline '
        || CAST(round(baseline_rate, 3) AS VARCHAR) || ' per minute)' AS summary
FROM scored
WHERE minute >= {{since}}
  AND minute - known_since >= INTERVAL {{min_history_days}} DAY
  AND calls >= {{min_rate}}
  AND calls > baseline_rate * {{factor}}
