-- The root user's long-term credentials at work: console sign-ins and its access keys (and
-- the GetSessionToken sessions it makes from them). Short-term root sessions from centralized
-- root access (sts:AssumeRoot: a temporary key issued by an AssumeRoot in the lake, or a
-- temporary key with a session creationDate that is neither a console session nor the root
-- user's own GetSessionToken) are policy-iamuser-shorttermrootcredentialusage's finding.
WITH assumed_root_keys AS (
    SELECT DISTINCT json_extract_string(responseelements, '$.credentials.accessKeyId') AS key_id
    FROM cloudtrail
    WHERE event_ts >= {{since}} - INTERVAL 15 MINUTE AND event_ts < {{until}}
      AND date BETWEEN CAST({{since}} - INTERVAL 15 MINUTE AS DATE) AND {{until_date}}
      AND eventsource = 'sts.amazonaws.com' AND eventname = 'AssumeRoot' AND errorcode IS NULL
),
root_tokens AS (   -- temporary keys the root user made for itself with GetSessionToken
    SELECT DISTINCT json_extract_string(responseelements, '$.credentials.accessKeyId') AS key_id
    FROM cloudtrail
    WHERE event_ts >= {{since}} - INTERVAL 36 HOUR AND event_ts < {{until}}
      AND date BETWEEN CAST({{since}} - INTERVAL 36 HOUR AS DATE) AND {{until_date}}
      AND eventsource = 'sts.amazonaws.com' AND eventname = 'GetSessionToken'
      AND useridentity.type = 'Root' AND errorcode IS NULL
),
root_calls AS (
    SELECT *
    FROM cloudtrail
    WHERE event_ts >= {{since}} AND event_ts < {{until}}
      AND date BETWEEN {{since_date}} AND {{until_date}}
      AND useridentity.type = 'Root'
      AND useridentity.invokedby IS NULL
      AND coalesce(eventtype, '') <> 'AwsServiceEvent'
)
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
FROM root_calls
WHERE coalesce(useridentity.accesskeyid, '') NOT IN (
          SELECT key_id FROM assumed_root_keys WHERE key_id IS NOT NULL)
  AND NOT (coalesce(useridentity.accesskeyid, '') LIKE 'ASIA%'
           AND useridentity.sessioncontext.attributes.creationdate IS NOT NULL
           AND lower(coalesce(CAST(sessioncredentialfromconsole AS VARCHAR), '')) <> 'true'
           AND useridentity.accesskeyid NOT IN (SELECT key_id FROM root_tokens
                                                WHERE key_id IS NOT NULL))
GROUP BY 1, 2, 4
