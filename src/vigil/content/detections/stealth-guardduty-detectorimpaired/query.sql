-- GuardDuty weakened without deleting the detector: suspended or a protection plan turned off,
-- findings export removed or redirected, the account leaving its administrator (or the
-- administrator dropping members), findings auto-archived, trusted IP lists added.
SELECT
    date_trunc('hour', event_ts) AS window_start,
    recipientaccountid AS account,
    awsregion AS region,
    coalesce(json_extract_string(requestparameters, '$.detectorId'), 'unknown') AS detector_id,
    min(event_ts) AS first_seen,
    max(event_ts) AS last_seen,
    count(*) AS hits,
    max(useridentity.arn) AS actor,
    coalesce(max(useridentity.arn), max(ct_actor(useridentity)), 'someone') || ' weakened GuardDuty detector '
        || coalesce(json_extract_string(requestparameters, '$.detectorId'), 'unknown') || ': '
        || array_to_string(list_sort(list(DISTINCT eventname)), ', ') AS summary,
    list(eventid) AS evidence
FROM cloudtrail
WHERE event_ts >= {{since}} AND event_ts < {{until}}
  AND date BETWEEN {{since_date}} AND {{until_date}}
  AND eventsource = 'guardduty.amazonaws.com'
  AND errorcode IS NULL
  -- AWS itself (a service identity, a service-linked role) is not an intruder
  AND coalesce(useridentity.type, '') <> 'AWSService'
  AND NOT contains(coalesce(ct_actor(useridentity), ''), ':role/aws-service-role/')
  AND (
      -- suspended (enable false), or a data source / protection plan turned off
      (eventname = 'UpdateDetector' AND (
          regexp_matches(requestparameters, '"enable"\s*:\s*false')
          OR regexp_matches(requestparameters, '"status"\s*:\s*"DISABLED"')))
      OR eventname IN ('DeletePublishingDestination', 'UpdatePublishingDestination',
                       'DisassociateFromMasterAccount', 'DisassociateFromAdministratorAccount',
                       'DisassociateMembers', 'DeleteMembers', 'StopMonitoringMembers')
      -- suppression rules: matching findings are archived as they arrive
      OR (eventname IN ('CreateFilter', 'UpdateFilter')
          AND upper(json_extract_string(requestparameters, '$.action')) = 'ARCHIVE')
      -- trusted IP lists: GuardDuty raises no finding for traffic from those addresses
      OR (eventname = 'CreateIPSet' AND json_extract_string(requestparameters, '$.activate') = 'true')
      OR (eventname = 'UpdateIPSet'
          AND coalesce(json_extract_string(requestparameters, '$.activate'), '') <> 'false'
          AND (json_extract_string(requestparameters, '$.activate') = 'true'
               OR json_extract_string(requestparameters, '$.location') IS NOT NULL))
  )
GROUP BY 1, 2, 3, 4
