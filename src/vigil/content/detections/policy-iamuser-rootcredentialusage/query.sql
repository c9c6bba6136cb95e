SELECT
    date_trunc('hour', event_ts) AS window_start,
    recipientaccountid AS account,
    min(awsregion) AS region,
    useridentity.arn AS root_arn,
    min(event_ts) AS first_seen,
    max(event_ts) AS last_seen,
    count(*) AS hits,
    max(sourceipaddress) AS actor,
    'root called ' || CAST(count(DISTINCT eventname) AS VARCHAR) || ' API(s), e.g. '
        || min(eventname) || ', from ' || max(sourceipaddress) AS summary,
    list(eventid) AS evidence
FROM cloudtrail
WHERE event_ts >= {{since}} AND event_ts < {{until}}
  AND date BETWEEN {{since_date}} AND {{until_date}}
  AND useridentity.type = 'Root'
  AND useridentity.invokedby IS NULL
  AND coalesce(eventtype, '') <> 'AwsServiceEvent'
GROUP BY 1, 2, 4
