-- Console sign-ins (signin.amazonaws.com ConsoleLogin) of IAM users and the root user, keyed by
-- the user signed in as: userIdentity.userName, or 'root'. Failed sign-ins for a name that is not
-- an IAM user carry HIDDEN_DUE_TO_SECURITY_REASONS and name no one: spraying, the per-address
-- units' (consoleloginbruteforce, consoleloginspray). Federated sign-ins (Identity Center, SAML)
-- fail at the identity provider, not here.
-- A burst of failures against one user: failures each within {{window_minutes}} minutes of the
-- previous form one burst (a burst crossing a clock boundary is one), reported once it holds
-- {{min_failures}}, whatever the number of addresses: a botnet guessing one password is one
-- finding. The lookback keeps a burst begun before the run's range whole.
WITH signins AS (
    SELECT
        event_ts,
        eventid,
        recipientaccountid AS account,
        awsregion AS region,
        sourceipaddress AS ip,
        CASE WHEN useridentity.type = 'Root' THEN 'root' ELSE useridentity.username END AS user_name,
        json_extract_string(responseelements, '$.ConsoleLogin') AS outcome
    FROM cloudtrail
    WHERE event_ts >= {{since}} - INTERVAL {{lookback_minutes}} MINUTE AND event_ts < {{until}}
      AND date BETWEEN CAST({{since}} - INTERVAL {{lookback_minutes}} MINUTE AS DATE) AND {{until_date}}
      AND eventsource = 'signin.amazonaws.com'
      AND eventname = 'ConsoleLogin'
      AND useridentity.type IN ('IAMUser', 'Root')
      AND coalesce(useridentity.username, '') <> 'HIDDEN_DUE_TO_SECURITY_REASONS'
),
failures AS (
    SELECT *,
        CASE WHEN event_ts - lag(event_ts) OVER (PARTITION BY account, user_name ORDER BY event_ts, eventid)
                  <= INTERVAL {{window_minutes}} MINUTE THEN 0 ELSE 1 END AS new_burst
    FROM signins
    WHERE outcome = 'Failure' AND user_name IS NOT NULL
),
bursts AS (
    SELECT *,
        sum(new_burst) OVER (PARTITION BY account, user_name ORDER BY event_ts, eventid
                             ROWS UNBOUNDED PRECEDING) AS burst
    FROM failures
),
attempts AS (
    SELECT account, user_name, burst, min(event_ts) AS first_seen, max(event_ts) AS last_seen,
        min(region) AS region, count(*) AS failed, count(DISTINCT ip) AS addresses,
        list(eventid ORDER BY event_ts) AS evidence, min(ip) AS one_ip
    FROM bursts
    GROUP BY account, user_name, burst
    HAVING count(*) >= {{min_failures}} AND max(event_ts) >= {{since}}
),
followed AS (
    -- a success for the same user within the window after the burst's last failure
    SELECT a.account, a.user_name, a.burst, count(s.eventid) AS successes,
        list(s.eventid) FILTER (WHERE s.eventid IS NOT NULL) AS success_ids
    FROM attempts a
    LEFT JOIN signins s ON s.account = a.account AND s.user_name = a.user_name
        AND s.outcome = 'Success' AND s.event_ts >= a.first_seen
        AND s.event_ts <= a.last_seen + INTERVAL {{window_minutes}} MINUTE
    GROUP BY ALL
)
SELECT
    a.first_seen AS window_start,
    a.account,
    a.region,
    a.user_name,
    a.first_seen,
    a.last_seen,
    a.failed AS hits,
    CASE WHEN a.addresses = 1 THEN a.one_ip END AS actor,
    CAST(a.failed AS VARCHAR) || ' failed console sign-ins as ' || a.user_name || ' from '
        || CAST(a.addresses AS VARCHAR) || ' address(es) in '
        || CAST(CAST(ceil(epoch(a.last_seen - a.first_seen) / 60) AS INTEGER) AS VARCHAR) || ' min'
        || CASE WHEN f.successes > 0 THEN '; then a successful sign-in: the password may be known'
                ELSE '' END AS summary,
    list_concat(a.evidence, coalesce(f.success_ids, [])) AS evidence,
    CASE WHEN f.successes > 0 THEN 8.0 END AS severity
FROM attempts a JOIN followed f USING (account, user_name, burst)
