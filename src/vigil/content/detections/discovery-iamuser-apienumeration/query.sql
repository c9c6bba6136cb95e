-- Read-only calls by customer principals (ct_actor: a role whatever its session name), in
-- sliding windows of `window_minutes`, per principal and channel (the console, or anything
-- else). A burst is one hit when, at one of its calls, the calls of the window before it reach
-- all three thresholds at once: `min_names` distinct APIs (service:name), `min_sources`
-- distinct services and `min_denied` refused calls. Console browsing calls many APIs of many
-- services by itself (each page loads several, and a restricted user's widgets are refused), so
-- on the console channel every threshold is multiplied by `console_factor`. AWS acting on a
-- customer's behalf is excluded. The run reads two hours before its range so that a burst
-- begun earlier keeps its start.
WITH calls AS (
    SELECT
        event_ts,
        eventid,
        recipientaccountid AS account,
        awsregion AS region,
        ct_actor(useridentity) AS actor,
        sourceipaddress,
        eventsource,
        eventsource || ':' || eventname AS api,
        CASE WHEN errorcode IS NOT NULL
                  AND regexp_matches(errorcode, '(AccessDenied|Unauthorized|NotAuthorized|AuthorizationError|Forbidden)')
             THEN 1 ELSE 0 END AS denied,
        CASE WHEN coalesce(sessioncredentialfromconsole, '') = 'true'
                  OR coalesce(ct_agent_family(useragent), '') IN ('console', 'browser')
             THEN 'console' ELSE 'api' END AS channel
    FROM cloudtrail
    WHERE event_ts >= {{since}} - INTERVAL 2 HOUR AND event_ts < {{until}}
      AND date BETWEEN CAST({{since}} - INTERVAL 2 HOUR AS DATE) AND {{until_date}}
      AND eventname IS NOT NULL
      AND coalesce(eventtype, 'AwsApiCall') = 'AwsApiCall'
      AND (readonly = true
           OR (readonly IS NULL
               AND regexp_matches(eventname, '^(Get|List|Describe|Search|Lookup|BatchGet|Scan|Query)')))
      AND NOT ct_by_aws(useridentity, sourceipaddress)
), eligible AS (
    -- a window holds no more than its principal's whole range does: only principals whose
    -- range reaches every threshold are worth the sliding windows
    SELECT account, actor, channel, factor
    FROM (
        SELECT account, actor, channel,
            CASE WHEN channel = 'console' THEN {{console_factor}} ELSE 1 END AS factor,
            count(DISTINCT api) AS apis, count(DISTINCT eventsource) AS sources,
            sum(denied) AS refused
        FROM calls
        GROUP BY account, actor, channel
    ) AS whole
    WHERE apis >= {{min_names}} * factor AND sources >= {{min_sources}} * factor
      AND refused >= {{min_denied}} * factor
), gaps AS (
    SELECT c.*, e.factor,
        CASE WHEN c.event_ts - lag(c.event_ts) OVER g <= INTERVAL {{window_minutes}} MINUTE
             THEN 0 ELSE 1 END AS new_burst
    FROM calls AS c JOIN eligible AS e
        ON c.account IS NOT DISTINCT FROM e.account AND c.actor IS NOT DISTINCT FROM e.actor
       AND c.channel = e.channel
    WINDOW g AS (PARTITION BY c.account, c.actor, c.channel ORDER BY c.event_ts, c.eventid)
), bursts AS (
    SELECT *,
        sum(new_burst) OVER (PARTITION BY account, actor, channel ORDER BY event_ts, eventid
                             ROWS UNBOUNDED PRECEDING) AS burst,
        count(DISTINCT api) OVER w AS n_apis,
        count(DISTINCT eventsource) OVER w AS n_sources,
        sum(denied) OVER w AS n_denied
    FROM gaps
    WINDOW w AS (PARTITION BY account, actor, channel ORDER BY event_ts
                 RANGE BETWEEN INTERVAL {{window_minutes}} MINUTE PRECEDING AND CURRENT ROW)
)
SELECT
    min(event_ts) AS window_start,
    account,
    min(region) AS region,
    actor,
    min(channel) AS channel,
    min(event_ts) AS first_seen,
    max(event_ts) AS last_seen,
    count(*) AS hits,
    actor || ' made ' || CAST(count(*) AS VARCHAR) || ' read calls ('
        || CAST(max(n_apis) AS VARCHAR) || ' different APIs of up to '
        || CAST(max(n_sources) AS VARCHAR) || ' services in ' || CAST({{window_minutes}} AS VARCHAR)
        || ' minutes), ' || CAST(sum(denied) AS VARCHAR) || ' refused, via the '
        || min(channel) || ', from ' || max(sourceipaddress) AS summary,
    list(eventid ORDER BY event_ts) AS evidence
FROM bursts
GROUP BY account, actor, channel, burst
HAVING max(CASE WHEN n_apis >= {{min_names}} * factor
                     AND n_sources >= {{min_sources}} * factor
                     AND n_denied >= {{min_denied}} * factor THEN 1 ELSE 0 END) = 1
   AND max(event_ts) >= {{since}}
