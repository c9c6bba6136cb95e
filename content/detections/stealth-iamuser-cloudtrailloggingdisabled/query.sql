SELECT
    date_trunc('hour', event_ts) AS window_start,
    recipientaccountid AS account,
    awsregion AS region,
    json_extract_string(requestparameters, '$.name') AS trail,
    min(event_ts) AS first_seen,
    max(event_ts) AS last_seen,
    count(*) AS hits,
    max(useridentity.arn) AS actor,
    max(useridentity.arn) || ' called ' || max(eventname) || ' from ' || max(sourceipaddress) AS summary,
    list(eventid) AS evidence
FROM cloudtrail
WHERE event_ts >= {{since}} AND event_ts < {{until}}
  AND date BETWEEN {{since_date}} AND {{until_date}}
  AND eventsource = 'cloudtrail.amazonaws.com'
  AND eventname IN ('StopLogging', 'DeleteTrail')
  AND errorcode IS NULL
GROUP BY 1, 2, 3, 4
