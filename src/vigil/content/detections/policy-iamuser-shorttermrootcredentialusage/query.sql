-- Short-term root credentials from centralized root access (sts:AssumeRoot), as the IAM User
-- Guide's "Track privileged tasks in CloudTrail" describes them: the management account or the
-- delegated administrator for IAM calls AssumeRoot (eventSource sts.amazonaws.com,
-- requestParameters.targetPrincipal: the member account id or principal ARN,
-- responseElements.credentials.accessKeyId: the session's key); the member account's trail
-- then records the privileged tasks as userIdentity type Root, arn ...:root, with that
-- accessKeyId and a sessionContext holding only attributes (creationDate, mfaAuthenticated).
-- A root call belongs to such a session when its key was issued by an AssumeRoot in the lake
-- (issued up to 15 minutes before: the session's maximum length); when the management
-- account's trail is not in the lake, a root call with a temporary (ASIA) key and a session
-- creationDate that is neither a console session (sessionCredentialFromConsole) nor a
-- GetSessionToken session of the root user counts too. An AssumeRoot whose session is not
-- seen in use is reported as well (the member account's trail may be missing). Long-term
-- root usage (console, access keys) is policy-iamuser-rootcredentialusage's finding.
WITH issued_all AS (
    SELECT
        event_ts,
        eventid,
        awsregion AS region,
        ct_actor(useridentity) AS who,
        json_extract_string(requestparameters, '$.targetPrincipal') AS target,
        json_extract_string(requestparameters, '$.taskPolicyArn.arn') AS task_policy,
        json_extract_string(responseelements, '$.credentials.accessKeyId') AS key_id
    FROM cloudtrail
    WHERE event_ts >= {{since}} - INTERVAL 15 MINUTE AND event_ts < {{until}}
      AND date BETWEEN CAST({{since}} - INTERVAL 15 MINUTE AS DATE) AND {{until_date}}
      AND eventsource = 'sts.amazonaws.com'
      AND eventname = 'AssumeRoot'
      AND errorcode IS NULL
      AND NOT ct_by_aws(useridentity, sourceipaddress)
),
issued AS (
    SELECT *,
        CASE WHEN regexp_matches(target, '^[0-9]{12}$') THEN target
             ELSE nullif(regexp_extract(target, ':([0-9]{12}):', 1), '') END AS target_account
    FROM issued_all
),
root_tokens AS (   -- temporary keys the root user made for itself with GetSessionToken
    SELECT DISTINCT json_extract_string(responseelements, '$.credentials.accessKeyId') AS key_id
    FROM cloudtrail
    WHERE event_ts >= {{since}} - INTERVAL 36 HOUR AND event_ts < {{until}}
      AND date BETWEEN CAST({{since}} - INTERVAL 36 HOUR AS DATE) AND {{until_date}}
      AND eventsource = 'sts.amazonaws.com'
      AND eventname = 'GetSessionToken'
      AND useridentity.type = 'Root'
      AND errorcode IS NULL
),
root_calls AS (
    SELECT
        c.event_ts,
        c.eventid,
        c.recipientaccountid AS account,
        c.awsregion AS region,
        c.useridentity.arn AS root_arn,
        c.eventname,
        c.useridentity.accesskeyid AS key_id,
        i.who,
        i.task_policy
    FROM cloudtrail c
    LEFT JOIN issued i ON i.key_id = c.useridentity.accesskeyid
    WHERE c.event_ts >= {{since}} AND c.event_ts < {{until}}
      AND c.date BETWEEN {{since_date}} AND {{until_date}}
      AND c.useridentity.type = 'Root'
      AND c.useridentity.invokedby IS NULL
      AND coalesce(c.eventtype, '') <> 'AwsServiceEvent'
      AND c.useridentity.accesskeyid LIKE 'ASIA%'
      AND (i.key_id IS NOT NULL
           OR (c.useridentity.sessioncontext.attributes.creationdate IS NOT NULL
               AND lower(coalesce(CAST(c.sessioncredentialfromconsole AS VARCHAR), '')) <> 'true'
               AND c.useridentity.accesskeyid NOT IN (SELECT key_id FROM root_tokens
                                                      WHERE key_id IS NOT NULL)))
),
used AS (
    SELECT event_ts, eventid, account, region, root_arn, eventname, who, task_policy
    FROM root_calls
    UNION ALL
    SELECT event_ts, eventid, target_account, region, 'arn:aws:iam::' || target_account || ':root',
           'AssumeRoot', who, task_policy
    FROM issued
    WHERE event_ts >= {{since}}
      AND target_account IS NOT NULL
      AND coalesce(key_id, '') NOT IN (SELECT key_id FROM root_calls WHERE key_id IS NOT NULL)
)
SELECT
    date_trunc('hour', event_ts) AS window_start,
    account,
    min(region) AS region,
    root_arn,
    min(event_ts) AS first_seen,
    max(event_ts) AS last_seen,
    count(DISTINCT eventid) AS hits,
    coalesce(max(who), root_arn) AS actor,
    'short-term root session on account ' || account
        || coalesce(' (task policy ' || max(task_policy) || ', issued to ' || max(who) || ')', '')
        || ': ' || CAST(count(DISTINCT eventname) AS VARCHAR) || ' API(s), e.g. '
        || min(eventname) AS summary,
    list(DISTINCT eventid) AS evidence
FROM used
GROUP BY 1, 2, 4
