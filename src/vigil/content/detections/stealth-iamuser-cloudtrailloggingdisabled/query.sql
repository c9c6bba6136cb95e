SELECT
    date_trunc('hour', event_ts) AS window_start,
    recipientaccountid AS account,
    awsregion AS region,
    coalesce(json_extract_string(requestparameters, '$.name'),
             json_extract_string(requestparameters, '$.trailName')) AS trail,
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
  AND errorcode IS NULL
  AND (
      eventname IN ('StopLogging', 'DeleteTrail')
      -- an update that narrows the trail: one region only, no global services, no validation
      OR (eventname = 'UpdateTrail' AND (
          json_extract_string(requestparameters, '$.isMultiRegionTrail') = 'false'
          OR json_extract_string(requestparameters, '$.includeGlobalServiceEvents') = 'false'
          OR json_extract_string(requestparameters, '$.enableLogFileValidation') = 'false'))
      -- event selectors that drop management events or keep only one of read and write
      OR (eventname = 'PutEventSelectors' AND (
          regexp_matches(requestparameters, '"includeManagementEvents"\s*:\s*false')
          OR regexp_matches(requestparameters, '"readWriteType"\s*:\s*"(ReadOnly|WriteOnly)"')
          OR regexp_matches(requestparameters, '"eventSelectors"\s*:\s*\[\s*\]')))
  )
GROUP BY 1, 2, 3, 4
