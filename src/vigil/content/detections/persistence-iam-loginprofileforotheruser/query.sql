-- A console password set for another IAM user: CreateLoginProfile or UpdateLoginProfile whose
-- userName is not the caller's own (a role, root or another user acting). A user setting their
-- own (no userName, or their own) is not this finding; AWS acting for the customer is left out.
SELECT
    date_trunc('hour', event_ts) AS window_start,
    recipientaccountid AS account,
    min(awsregion) AS region,
    json_extract_string(requestparameters, '$.userName') AS target_user,
    ct_actor(useridentity) AS set_by,
    min(event_ts) AS first_seen,
    max(event_ts) AS last_seen,
    count(*) AS hits,
    ct_actor(useridentity) AS actor,
    ct_actor(useridentity) || ' set a console password for ' || json_extract_string(requestparameters, '$.userName')
        || ' (' || string_agg(DISTINCT eventname, ', ') || ', passwordResetRequired '
        || coalesce(string_agg(DISTINCT json_extract_string(requestparameters, '$.passwordResetRequired'), '/'), 'unset')
        || ')' AS summary,
    list(eventid) AS evidence
FROM cloudtrail
WHERE event_ts >= {{since}} AND event_ts < {{until}}
  AND date BETWEEN {{since_date}} AND {{until_date}}
  AND eventsource = 'iam.amazonaws.com'
  AND eventname IN ('CreateLoginProfile', 'UpdateLoginProfile')
  AND errorcode IS NULL
  AND NOT ct_by_aws(useridentity, sourceipaddress)
  AND json_extract_string(requestparameters, '$.userName') IS NOT NULL
  AND json_extract_string(requestparameters, '$.userName') <> coalesce(useridentity.username, '')
GROUP BY 1, 2, 4, 5
