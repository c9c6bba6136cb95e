-- CloudTrail stopped, deleted or narrowed, for trails and CloudTrail Lake event data stores.
-- Advanced event selectors are read field by field: a PutEventSelectors call narrows the trail
-- when no selector keeps every management event (no eventCategory = Management selector, or
-- each one limited by readOnly, eventName or an eventSource condition other than the documented
-- cost exclusions of KMS and RDS Data API events).
WITH selectors AS (
    SELECT
        eventid,
        unnest(json_extract(requestparameters, '$.advancedEventSelectors[*]')) AS selector
    FROM cloudtrail
    WHERE event_ts >= {{since}} AND event_ts < {{until}}
      AND date BETWEEN {{since_date}} AND {{until_date}}
      AND eventsource = 'cloudtrail.amazonaws.com'
      AND eventname = 'PutEventSelectors'
      AND errorcode IS NULL
),
fields AS (
    SELECT
        eventid,
        CAST(selector AS VARCHAR) AS selector,
        unnest(json_extract(selector, '$.fieldSelectors[*]')) AS field_selector
    FROM selectors
),
per_selector AS (
    SELECT
        eventid,
        selector,
        bool_or(json_extract_string(field_selector, '$.field') = 'eventCategory'
                AND contains(CAST(json_extract(field_selector, '$.equals') AS VARCHAR), '"Management"')) AS management,
        bool_or(json_extract_string(field_selector, '$.field') IN ('readOnly', 'eventName', 'eventType')
                OR (json_extract_string(field_selector, '$.field') = 'eventSource' AND (
                    json_extract(field_selector, '$.equals') IS NOT NULL
                    OR json_extract(field_selector, '$.startsWith') IS NOT NULL
                    OR json_extract(field_selector, '$.endsWith') IS NOT NULL
                    OR regexp_matches(
                        regexp_replace(coalesce(CAST(json_extract(field_selector, '$.notEquals') AS VARCHAR), ''),
                                       '"(kms|rdsdata)\.amazonaws\.com"', '', 'g'),
                        '"[^"]+"')
                    OR json_extract(field_selector, '$.notStartsWith') IS NOT NULL
                    OR json_extract(field_selector, '$.notEndsWith') IS NOT NULL))) AS limited
    FROM fields
    GROUP BY 1, 2
),
advanced_narrowing AS (
    SELECT eventid
    FROM per_selector
    GROUP BY 1
    HAVING NOT bool_or(management AND NOT limited)
)
SELECT
    date_trunc('hour', event_ts) AS window_start,
    recipientaccountid AS account,
    awsregion AS region,
    coalesce(json_extract_string(requestparameters, '$.name'),
             json_extract_string(requestparameters, '$.trailName'),
             json_extract_string(requestparameters, '$.eventDataStore')) AS trail,
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
      eventname IN ('StopLogging', 'DeleteTrail', 'StopEventDataStoreIngestion', 'DeleteEventDataStore')
      -- an update that narrows the trail: one region only, no global services, no validation
      OR (eventname = 'UpdateTrail' AND (
          json_extract_string(requestparameters, '$.isMultiRegionTrail') = 'false'
          OR json_extract_string(requestparameters, '$.includeGlobalServiceEvents') = 'false'
          OR json_extract_string(requestparameters, '$.enableLogFileValidation') = 'false'))
      -- event selectors that drop management events or keep only one of read and write
      OR (eventname = 'PutEventSelectors' AND (
          regexp_matches(requestparameters, '"includeManagementEvents"\s*:\s*false')
          OR regexp_matches(requestparameters, '"readWriteType"\s*:\s*"(ReadOnly|WriteOnly)"')
          OR regexp_matches(requestparameters, '"eventSelectors"\s*:\s*\[\s*\]')
          OR regexp_matches(requestparameters, '"advancedEventSelectors"\s*:\s*\[\s*\]')
          OR eventid IN (SELECT eventid FROM advanced_narrowing)))
      -- Insights turned off: an empty list of Insights types
      OR (eventname = 'PutInsightSelectors'
          AND regexp_matches(requestparameters, '(?i)"insightSelectors"\s*:\s*\[\s*\]'))
  )
GROUP BY 1, 2, 3, 4
