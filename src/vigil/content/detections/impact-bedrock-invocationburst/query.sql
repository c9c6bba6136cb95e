-- Bedrock runtime calls (logged as management events, eventSource bedrock.amazonaws.com) by one
-- principal: a burst of at least {{min_calls}} within {{window_minutes}} minutes, or refused
-- invocations (model not enabled, not allowed, not found) on at least {{min_refused_models}}
-- distinct models or {{min_refused}} times in that window: someone probing which models a key
-- may call. Flagged calls that follow each other within the window form one burst, one hit.
-- AWS acting for the account is not counted. The lookback keeps a burst begun earlier whole.
WITH calls AS (
    SELECT
        event_ts,
        eventid,
        recipientaccountid AS account,
        awsregion AS region,
        ct_actor(useridentity) AS principal,
        coalesce(json_extract_string(requestparameters, '$.modelId'), 'unknown model') AS model,
        coalesce(errorcode IN ('AccessDeniedException', 'ValidationException',
                               'ResourceNotFoundException'), false) AS refused
    FROM cloudtrail
    WHERE event_ts >= {{since}} - INTERVAL {{lookback_minutes}} MINUTE AND event_ts < {{until}}
      AND date BETWEEN CAST({{since}} - INTERVAL {{lookback_minutes}} MINUTE AS DATE) AND {{until_date}}
      AND eventsource = 'bedrock.amazonaws.com'
      AND eventname IN ('InvokeModel', 'InvokeModelWithResponseStream', 'Converse', 'ConverseStream')
      AND NOT ct_by_aws(useridentity, sourceipaddress)
),
counted AS (
    SELECT *,
        count(*) OVER w AS n_calls,
        sum(CASE WHEN refused THEN 1 ELSE 0 END) OVER w AS n_refused,
        count(DISTINCT CASE WHEN refused THEN model END) OVER w AS n_refused_models
    FROM calls
    WINDOW w AS (PARTITION BY account, principal ORDER BY event_ts
                 RANGE BETWEEN INTERVAL {{window_minutes}} MINUTE PRECEDING AND CURRENT ROW)
),
flagged AS (
    SELECT *,
        n_calls >= {{min_calls}} AS busy,
        (n_refused_models >= {{min_refused_models}} OR n_refused >= {{min_refused}}) AS probing
    FROM counted
),
gaps AS (
    SELECT *,
        CASE WHEN event_ts - lag(event_ts) OVER (PARTITION BY account, principal ORDER BY event_ts, eventid)
                  <= INTERVAL {{window_minutes}} MINUTE THEN 0 ELSE 1 END AS new_burst
    FROM flagged
    WHERE busy OR probing
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
    coalesce(principal, 'someone') || ': up to ' || CAST(max(n_calls) AS VARCHAR)
        || ' Bedrock invocations in ' || CAST({{window_minutes}} AS VARCHAR) || ' minutes, '
        || CAST(max(n_refused) AS VARCHAR) || ' refused on up to '
        || CAST(max(n_refused_models) AS VARCHAR) || ' models; models: '
        || array_to_string(list_sort(list_distinct(list(model))), ', ') AS summary,
    list(eventid ORDER BY event_ts) AS evidence
FROM bursts
GROUP BY account, principal, burst
HAVING max(event_ts) >= {{since}}
