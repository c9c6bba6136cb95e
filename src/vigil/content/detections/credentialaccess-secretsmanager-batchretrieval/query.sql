-- BatchGetSecretValue calls that succeeded and either name at least `min_secrets` secrets
-- (SecretIdList) or choose the secrets by filters (which can match every secret the caller may
-- list). AWS acting on a customer's behalf is excluded. One row per principal and hour.
SELECT
    date_trunc('hour', event_ts) AS window_start,
    recipientaccountid AS account,
    min(awsregion) AS region,
    ct_actor(useridentity) AS actor,
    min(event_ts) AS first_seen,
    max(event_ts) AS last_seen,
    count(*) AS hits,
    ct_actor(useridentity) || ' called BatchGetSecretValue ' || CAST(count(*) AS VARCHAR)
        || ' time(s): ' || CAST(sum(CASE WHEN json_array_length(json_extract(requestparameters, '$.filters')) > 0
                                         THEN 1 ELSE 0 END) AS VARCHAR)
        || ' by filters, up to ' || CAST(coalesce(max(json_array_length(json_extract(requestparameters, '$.secretIdList'))), 0) AS VARCHAR)
        || ' secrets named in one call, from ' || max(sourceipaddress) AS summary,
    list(eventid ORDER BY event_ts) AS evidence
FROM cloudtrail
WHERE event_ts >= {{since}} AND event_ts < {{until}}
  AND date BETWEEN {{since_date}} AND {{until_date}}
  AND eventsource = 'secretsmanager.amazonaws.com'
  AND eventname = 'BatchGetSecretValue'
  AND errorcode IS NULL
  AND NOT ct_by_aws(useridentity, sourceipaddress)
  AND (json_array_length(json_extract(requestparameters, '$.filters')) > 0
       OR json_array_length(json_extract(requestparameters, '$.secretIdList')) >= {{min_secrets}})
GROUP BY 1, 2, 4
