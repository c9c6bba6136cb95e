-- Administrator rights given to a user, group or role: the AWS managed AdministratorAccess or
-- IAMFullAccess policy attached (IAMFullAccess lets its holder attach AdministratorAccess to
-- itself, one call from full admin), or an inline policy put with an Allow statement whose
-- Action is "*" (or "*:*") on Resource "*". AWS acting for the customer (CloudFormation with
-- invokedBy, Identity Center's service-linked role provisioning permission sets) is left out.
WITH grants AS (
    SELECT
        event_ts,
        eventid,
        eventname,
        recipientaccountid AS account,
        awsregion AS region,
        ct_actor(useridentity) AS granted_by,
        CASE
            WHEN eventname IN ('AttachUserPolicy', 'PutUserPolicy') THEN 'user/'
            WHEN eventname IN ('AttachGroupPolicy', 'PutGroupPolicy') THEN 'group/'
            ELSE 'role/' END
        || coalesce(json_extract_string(requestparameters, '$.userName'),
                    json_extract_string(requestparameters, '$.groupName'),
                    json_extract_string(requestparameters, '$.roleName')) AS target,
        json_extract_string(requestparameters, '$.policyArn') AS policy_arn,
        json_extract_string(requestparameters, '$.policyName') AS policy_name,
        json_extract_string(requestparameters, '$.policyDocument') AS doc
    FROM cloudtrail
    WHERE event_ts >= {{since}} AND event_ts < {{until}}
      AND date BETWEEN {{since_date}} AND {{until_date}}
      AND eventsource = 'iam.amazonaws.com'
      AND eventname IN ('AttachUserPolicy', 'AttachGroupPolicy', 'AttachRolePolicy',
                        'PutUserPolicy', 'PutGroupPolicy', 'PutRolePolicy')
      AND errorcode IS NULL
      AND NOT ct_by_aws(useridentity, sourceipaddress)
),
attached AS (
    SELECT event_ts, eventid, eventname, account, region, granted_by, target,
           regexp_extract(policy_arn, '[^/]+$') AS what
    FROM grants
    WHERE eventname LIKE 'Attach%'
      AND regexp_matches(policy_arn, '^arn:aws[a-z-]*:iam::aws:policy/(AdministratorAccess|IAMFullAccess)$')
),
statements AS (
    SELECT *, unnest(CASE WHEN json_type(doc, '$.Statement') = 'ARRAY'
                          THEN json_extract(doc, '$.Statement[*]')
                          ELSE [json_extract(doc, '$.Statement')] END) AS stmt
    FROM grants
    WHERE eventname LIKE 'Put%' AND doc IS NOT NULL
),
inline AS (
    SELECT event_ts, eventid, eventname, account, region, granted_by, target,
           'inline ' || coalesce(policy_name, '?') || ' (Action "*" on Resource "*")' AS what
    FROM statements
    WHERE lower(json_extract_string(stmt, '$.Effect')) = 'allow'
      -- the JSON text of Action / Resource, a string or a list, holds "*" (or "*:*")
      AND regexp_matches(CAST(json_extract(stmt, '$.Action') AS VARCHAR), '"\*(:\*)?"')
      AND regexp_matches(CAST(json_extract(stmt, '$.Resource') AS VARCHAR), '"\*"')
),
hits AS (
    SELECT * FROM attached
    UNION ALL
    SELECT * FROM inline
)
SELECT
    date_trunc('hour', event_ts) AS window_start,
    account,
    min(region) AS region,
    target,
    granted_by,
    min(event_ts) AS first_seen,
    max(event_ts) AS last_seen,
    count(DISTINCT eventid) AS hits,
    granted_by AS actor,
    coalesce(granted_by, 'someone') || ' gave ' || target || ' administrator rights: '
        || string_agg(DISTINCT what, ', ') AS summary,
    list(DISTINCT eventid) AS evidence
FROM hits
WHERE target IS NOT NULL
GROUP BY 1, 2, 4, 5
