SELECT
    date_trunc('hour', event_ts) AS window_start,
    recipientaccountid AS account,
    min(awsregion) AS region,
    useridentity.arn AS principal,
    min(event_ts) AS first_seen,
    max(event_ts) AS last_seen,
    count(*) AS hits,
    max(sourceipaddress) AS actor,
    useridentity.arn || ' signed in without MFA from ' || max(sourceipaddress) AS summary,
    list(eventid) AS evidence
FROM cloudtrail
WHERE event_ts >= {{since}} AND event_ts < {{until}}
  AND date BETWEEN {{since_date}} AND {{until_date}}
  AND eventname = 'ConsoleLogin'
  AND json_extract_string(responseelements, '$.ConsoleLogin') = 'Success'
  AND coalesce(json_extract_string(additionaleventdata, '$.MFAUsed'), '') <> 'Yes'
  -- a password of AWS's own: an IAM user or root. A federated sign-in (IAM Identity Center,
  -- SAML) says MFAUsed No because its identity provider, not AWS, asked for the second factor.
  AND useridentity.type IN ('IAMUser', 'Root')
GROUP BY 1, 2, 4
