-- Console sign-ins (signin.amazonaws.com ConsoleLogin) of IAM users and the root user, keyed by
-- the user signed in as: userIdentity.userName, or 'root'. Failed sign-ins for a name that is not
-- an IAM user carry HIDDEN_DUE_TO_SECURITY_REASONS and name no one: spraying, the per-address
-- units' (consoleloginbruteforce, consoleloginspray). Federated sign-ins (Identity Center, SAML)
-- fail at the identity provider, not here.
-- A successful sign-in that {{min_failures}} or more failed sign-ins as the same user preceded within
-- {{window_minutes}} minutes: the password was guessed, or someone who did not know it tried before
-- its owner. Failures spread over three or more addresses (or {{many_failures}} or more) weigh more.
WITH signins AS (
    SELECT
        event_ts,
        eventid,
        recipientaccountid AS account,
        awsregion AS region,
        sourceipaddress AS ip,
        CASE WHEN useridentity.type = 'Root' THEN 'root' ELSE useridentity.username END AS user_name,
        json_extract_string(responseelements, '$.ConsoleLogin') AS outcome,
        json_extract_string(additionaleventdata, '$.MFAUsed') AS mfa
    FROM cloudtrail
    WHERE event_ts >= {{since}} - INTERVAL {{window_minutes}} MINUTE AND event_ts < {{until}}
      AND date BETWEEN CAST({{since}} - INTERVAL {{window_minutes}} MINUTE AS DATE) AND {{until_date}}
      AND eventsource = 'signin.amazonaws.com'
      AND eventname = 'ConsoleLogin'
      AND useridentity.type IN ('IAMUser', 'Root')
      AND coalesce(useridentity.username, '') <> 'HIDDEN_DUE_TO_SECURITY_REASONS'
),
successes AS (
    SELECT s.eventid, s.event_ts, s.account, s.region, s.user_name, s.ip, s.mfa,
        count(f.eventid) AS failed, count(DISTINCT f.ip) AS addresses,
        list(f.eventid ORDER BY f.event_ts) AS failure_ids
    FROM signins s
    JOIN signins f ON f.account = s.account AND f.user_name = s.user_name AND f.outcome = 'Failure'
        AND f.event_ts < s.event_ts AND f.event_ts >= s.event_ts - INTERVAL {{window_minutes}} MINUTE
    WHERE s.outcome = 'Success' AND s.event_ts >= {{since}}
    GROUP BY ALL
    HAVING count(f.eventid) >= {{min_failures}}
)
SELECT
    date_trunc('hour', event_ts) AS window_start,
    account,
    min(region) AS region,
    user_name,
    min(event_ts) AS first_seen,
    max(event_ts) AS last_seen,
    count(*) AS hits,
    max(ip) AS actor,
    user_name || ' signed in to the console from ' || max(ip) || ' (MFA: ' || coalesce(max(mfa), 'unknown')
        || ') after ' || CAST(max(failed) AS VARCHAR) || ' failed attempts from '
        || CAST(max(addresses) AS VARCHAR) || ' address(es)' AS summary,
    list_concat(flatten(list(failure_ids)), list(eventid)) AS evidence,
    CASE WHEN max(addresses) >= 3 OR max(failed) >= {{many_failures}} THEN 8.0 END AS severity
FROM successes
GROUP BY 1, 2, 4
