-- A Lambda function opened to the world or to a stranger. Lambda writes its event names with
-- an API version (AddPermission20150331v2, CreateFunctionUrlConfig20211031, ...): match the stem.
-- * AddPermission for principal "*" or for an account (id or IAM ARN) outside the organization,
--   without a sourceAccount / sourceArn / principalOrgID that narrows it. Service principals
--   (s3.amazonaws.com, ...) are not this finding.
-- * CreateFunctionUrlConfig / UpdateFunctionUrlConfig with authType NONE: a public HTTPS URL.
WITH changes AS (
    SELECT
        event_ts,
        eventid,
        eventname,
        recipientaccountid AS account,
        awsregion AS region,
        ct_actor(useridentity) AS who,
        json_extract_string(requestparameters, '$.functionName') AS function_name,
        json_extract_string(requestparameters, '$.principal') AS principal,
        json_extract_string(requestparameters, '$.action') AS granted_action,
        coalesce(json_extract_string(requestparameters, '$.sourceAccount'),
                 json_extract_string(requestparameters, '$.sourceArn'),
                 json_extract_string(requestparameters, '$.principalOrgID'),
                 json_extract_string(requestparameters, '$.principalOrgId')) AS narrowed_by,
        upper(json_extract_string(requestparameters, '$.authType')) AS auth_type
    FROM cloudtrail
    WHERE event_ts >= {{since}} AND event_ts < {{until}}
      AND date BETWEEN {{since_date}} AND {{until_date}}
      AND eventsource = 'lambda.amazonaws.com'
      AND regexp_matches(eventname, '^(AddPermission|CreateFunctionUrlConfig|UpdateFunctionUrlConfig)([0-9]{8}.*)?$')
      AND errorcode IS NULL
      AND NOT ct_by_aws(useridentity, sourceipaddress)
),
grants AS (
    SELECT *,
        CASE
            WHEN starts_with(eventname, 'AddPermission') THEN CASE
                WHEN principal = '*' THEN '*'
                WHEN regexp_matches(principal, '^[0-9]{12}$') THEN principal
                ELSE nullif(regexp_extract(principal, '^arn:aws[a-z-]*:(iam|sts)::([0-9]{12}):', 2), '')
                END
            WHEN auth_type = 'NONE' THEN 'function-url-auth-none'
            END AS grantee
    FROM changes
)
SELECT
    date_trunc('hour', event_ts) AS window_start,
    account,
    min(region) AS region,
    function_name,
    grantee,
    min(event_ts) AS first_seen,
    max(event_ts) AS last_seen,
    count(*) AS hits,
    max(who) AS actor,
    coalesce(max(who), 'someone') || ' opened Lambda function ' || function_name || ' to '
        || CASE WHEN grantee = '*' THEN 'any principal (' || coalesce(max(granted_action), '?') || ')'
                WHEN grantee = 'function-url-auth-none' THEN 'anyone on the internet (function URL, AuthType NONE)'
                ELSE 'account ' || grantee || ', outside the organization ('
                     || coalesce(max(granted_action), '?') || ')' END AS summary,
    list(eventid) AS evidence
FROM grants
WHERE grantee IS NOT NULL
  AND (grantee = 'function-url-auth-none'
       OR (narrowed_by IS NULL
           AND (grantee = '*' OR (grantee <> account
                                  AND grantee NOT IN (SELECT account_id FROM org_accounts)))))
GROUP BY 1, 2, 4, 5
