SELECT
    date_trunc('hour', event_ts) AS window_start,
    recipientaccountid AS account,
    awsregion AS region,
    json_extract_string(requestparameters, '$.userName') AS target_user,
    useridentity.arn AS creator,
    min(event_ts) AS first_seen,
    max(event_ts) AS last_seen,
    count(*) AS hits,
    useridentity.arn AS actor,
    useridentity.arn || ' created an access key for ' || json_extract_string(requestparameters, '$.userName') AS summary,
    list(eventid) AS evidence
FROM cloudtrail
WHERE event_ts >= {{since}} AND event_ts < {{until}}
  AND date BETWEEN {{since_date}} AND {{until_date}}
  AND eventsource = 'iam.amazonaws.com' AND eventname = 'CreateAccessKey'
  AND errorcode IS NULL
  AND NOT ct_by_aws(useridentity, sourceipaddress)  -- AWS acting (a stack's owner through CloudFormation) is not the actor
  AND json_extract_string(requestparameters, '$.userName') IS NOT NULL
  AND json_extract_string(requestparameters, '$.userName') <> coalesce(useridentity.username, '')
GROUP BY 1, 2, 3, 4, 5
