-- Parameter Store reads with decryption (GetParameter, GetParameters, GetParametersByPath with
-- withDecryption true) that succeeded, by a customer principal (ct_actor: a role whatever its
-- session name), in sliding windows of `window_minutes`: a burst is one hit when, at one of its
-- reads, the reads of the window before it named at least `min_parameters` different
-- parameters or paths, or when it read the whole store (path "/" recursively). The run reads
-- two hours before its range so that a burst begun earlier keeps its start.
WITH reads AS (
    SELECT
        event_ts,
        eventid,
        recipientaccountid AS account,
        awsregion AS region,
        ct_actor(useridentity) AS actor,
        sourceipaddress,
        CASE
            WHEN eventname = 'GetParameters'
                THEN json_extract_string(requestparameters, '$.names[*]')
            WHEN eventname = 'GetParameter'
                THEN [json_extract_string(requestparameters, '$.name')]
            ELSE ['path:' || coalesce(json_extract_string(requestparameters, '$.path'), '')]
        END AS targets,
        CASE
            WHEN eventname = 'GetParametersByPath'
                 AND json_extract_string(requestparameters, '$.path') = '/'
                 AND json_extract_string(requestparameters, '$.recursive') = 'true' THEN 1
            ELSE 0
        END AS whole_store
    FROM cloudtrail
    WHERE event_ts >= {{since}} - INTERVAL 2 HOUR AND event_ts < {{until}}
      AND date BETWEEN CAST({{since}} - INTERVAL 2 HOUR AS DATE) AND {{until_date}}
      AND eventsource = 'ssm.amazonaws.com'
      AND eventname IN ('GetParameter', 'GetParameters', 'GetParametersByPath')
      AND json_extract_string(requestparameters, '$.withDecryption') = 'true'
      AND errorcode IS NULL
      AND NOT ct_by_aws(useridentity, sourceipaddress)
), named AS (
    SELECT event_ts, eventid, account, region, actor, sourceipaddress, whole_store,
           unnest(targets) AS target
    FROM reads
), gaps AS (
    SELECT *,
        CASE WHEN event_ts - lag(event_ts) OVER g <= INTERVAL {{window_minutes}} MINUTE
             THEN 0 ELSE 1 END AS new_burst
    FROM named
    WINDOW g AS (PARTITION BY account, actor ORDER BY event_ts, eventid, target)
), bursts AS (
    SELECT *,
        sum(new_burst) OVER (PARTITION BY account, actor ORDER BY event_ts, eventid, target
                             ROWS UNBOUNDED PRECEDING) AS burst,
        count(DISTINCT target) OVER (PARTITION BY account, actor ORDER BY event_ts
                                     RANGE BETWEEN INTERVAL {{window_minutes}} MINUTE PRECEDING
                                     AND CURRENT ROW) AS distinct_targets
    FROM gaps
)
SELECT
    min(event_ts) AS window_start,
    account,
    min(region) AS region,
    actor,
    min(event_ts) AS first_seen,
    max(event_ts) AS last_seen,
    count(DISTINCT eventid) AS hits,
    actor || ' read ' || CAST(max(distinct_targets) AS VARCHAR)
        || ' different parameters or paths with decryption within '
        || CAST({{window_minutes}} AS VARCHAR) || ' minutes'
        || CASE WHEN max(whole_store) = 1 THEN ', including the whole store (path /, recursive)'
                ELSE '' END
        || ', from ' || max(sourceipaddress) AS summary,
    list(DISTINCT eventid) AS evidence
FROM bursts
GROUP BY account, actor, burst
HAVING (max(distinct_targets) >= {{min_parameters}} OR max(whole_store) = 1)
   AND max(event_ts) >= {{since}}
