-- Run Command used on many instances by one principal: one SendCommand naming at least
-- {{min_instances}} instances (or reaching that many targets), one targeting every instance
-- (a target value of *), or several calls reaching that many distinct instances within
-- {{window_minutes}} minutes. Calls a group makes while each follows the previous within the
-- window form one burst, one hit. AWS acting for the account (maintenance windows, Patch
-- Manager) is not counted. The lookback keeps a burst begun before the run's range whole.
WITH calls AS (
    SELECT
        event_ts,
        eventid,
        recipientaccountid AS account,
        awsregion AS region,
        ct_actor(useridentity) AS principal,
        json_extract_string(requestparameters, '$.documentName') AS document,
        json_extract_string(requestparameters, '$.instanceIds[*]') AS instance_ids,
        greatest(
            coalesce(CAST(json_array_length(json_extract(requestparameters, '$.instanceIds')) AS INTEGER), 0),
            coalesce(CAST(json_extract_string(responseelements, '$.command.targetCount') AS INTEGER), 0)
        ) AS width,
        regexp_matches(coalesce(CAST(json_extract(requestparameters, '$.targets') AS VARCHAR), ''),
                       '"values"\s*:\s*\[[^\]]*"\*"') AS everywhere
    FROM cloudtrail
    WHERE event_ts >= {{since}} - INTERVAL {{lookback_minutes}} MINUTE AND event_ts < {{until}}
      AND date BETWEEN CAST({{since}} - INTERVAL {{lookback_minutes}} MINUTE AS DATE) AND {{until_date}}
      AND eventsource = 'ssm.amazonaws.com'
      AND eventname = 'SendCommand'
      AND errorcode IS NULL
      AND NOT ct_by_aws(useridentity, sourceipaddress)
),
targets AS (
    SELECT eventid, account, principal, event_ts, unnest(instance_ids) AS instance_id
    FROM calls
),
spread AS (
    -- distinct instances the principal named in the window ending at each call
    SELECT eventid, max(n) AS distinct_instances
    FROM (
        SELECT eventid,
            count(DISTINCT instance_id) OVER (
                PARTITION BY account, principal ORDER BY event_ts
                RANGE BETWEEN INTERVAL {{window_minutes}} MINUTE PRECEDING AND CURRENT ROW) AS n
        FROM targets
    ) AS per_target
    GROUP BY eventid
),
flagged AS (
    SELECT c.*,
        coalesce(s.distinct_instances, 0) AS spread_n,
        (c.width >= {{min_instances}} OR c.everywhere
         OR coalesce(s.distinct_instances, 0) >= {{min_instances}}) AS wide
    FROM calls AS c
    LEFT JOIN spread AS s ON c.eventid = s.eventid
),
gaps AS (
    SELECT *,
        CASE WHEN event_ts - lag(event_ts) OVER (PARTITION BY account, principal ORDER BY event_ts, eventid)
                  <= INTERVAL {{window_minutes}} MINUTE THEN 0 ELSE 1 END AS new_burst
    FROM flagged
),
bursts AS (
    SELECT *,
        sum(new_burst) OVER (PARTITION BY account, principal ORDER BY event_ts, eventid
                             ROWS UNBOUNDED PRECEDING) AS burst
    FROM gaps
)
SELECT
    min(event_ts) AS window_start,
    account,
    min(region) AS region,
    principal AS actor,
    min(event_ts) AS first_seen,
    max(event_ts) AS last_seen,
    count(*) AS hits,
    coalesce(principal, 'someone') || ' sent ' || CAST(count(*) AS VARCHAR) || ' command(s) ('
        || coalesce(array_to_string(list_sort(list_distinct(list(document))), ', '), 'no document')
        || ') reaching up to ' || CAST(greatest(max(width), max(spread_n)) AS VARCHAR) || ' instances'
        || CASE WHEN bool_or(everywhere) THEN ', one of them to every instance (target value *)' ELSE '' END
        AS summary,
    list(eventid ORDER BY event_ts) AS evidence
FROM bursts
GROUP BY account, principal, burst
HAVING bool_or(wide) AND max(event_ts) >= {{since}}
