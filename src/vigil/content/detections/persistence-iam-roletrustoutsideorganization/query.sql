-- A role's trust policy (CreateRole's assumeRolePolicyDocument, UpdateAssumeRolePolicy's
-- policyDocument: JSON text inside the JSON record) lets a principal outside the organization
-- assume it: an Allow statement naming an AWS account id or an ARN of an account that is not
-- in org_accounts, or any AWS principal ("*" / {"AWS": "*"}) that no condition narrows.
-- Narrowing: aws:PrincipalOrgID / aws:PrincipalOrgPaths (any principal); for "*" also
-- aws:PrincipalAccount / aws:PrincipalArn, whose account ids then stand for the principal.
-- sts:ExternalId narrows nothing. Service and Federated principals are not this finding.
WITH changes AS (
    SELECT
        event_ts,
        eventid,
        eventname,
        recipientaccountid AS account,
        awsregion AS region,
        ct_actor(useridentity) AS who,
        json_extract_string(requestparameters, '$.roleName') AS role_name,
        coalesce(json_extract_string(requestparameters, '$.policyDocument'),
                 json_extract_string(requestparameters, '$.assumeRolePolicyDocument')) AS doc
    FROM cloudtrail
    WHERE event_ts >= {{since}} AND event_ts < {{until}}
      AND date BETWEEN {{since_date}} AND {{until_date}}
      AND eventsource = 'iam.amazonaws.com'
      AND eventname IN ('UpdateAssumeRolePolicy', 'CreateRole')
      AND errorcode IS NULL
      AND NOT ct_by_aws(useridentity, sourceipaddress)
),
statements AS (
    SELECT *, unnest(CASE WHEN json_type(doc, '$.Statement') = 'ARRAY'
                          THEN json_extract(doc, '$.Statement[*]')
                          ELSE [json_extract(doc, '$.Statement')] END) AS stmt
    FROM changes
    WHERE doc IS NOT NULL
),
principals AS (
    SELECT *,
        lower(coalesce(CAST(json_extract(stmt, '$.Condition') AS VARCHAR), '')) AS cond,
        unnest(CASE
            WHEN json_type(stmt, '$.Principal') = 'VARCHAR'
                THEN [json_extract_string(stmt, '$.Principal')]
            WHEN json_type(stmt, '$.Principal.AWS') = 'ARRAY'
                THEN json_extract_string(stmt, '$.Principal.AWS[*]')
            WHEN json_type(stmt, '$.Principal.AWS') = 'VARCHAR'
                THEN [json_extract_string(stmt, '$.Principal.AWS')]
            ELSE [] END) AS principal
    FROM statements
    WHERE lower(json_extract_string(stmt, '$.Effect')) = 'allow'
),
grantees AS (
    SELECT *, unnest(CASE
        WHEN contains(cond, 'aws:principalorgid') OR contains(cond, 'aws:principalorgpaths')
            THEN []
        WHEN principal = '*' AND (contains(cond, 'aws:principalaccount')
                                  OR contains(cond, 'aws:principalarn'))
             AND array_length(regexp_extract_all(cond, '[0-9]{12}')) > 0
            THEN regexp_extract_all(cond, '[0-9]{12}')
        WHEN principal = '*' THEN ['*']
        WHEN regexp_matches(principal, '^[0-9]{12}$') THEN [principal]
        ELSE [nullif(regexp_extract(principal, '^arn:aws[a-z-]*:(iam|sts)::([0-9]{12}):', 2), '')]
        END) AS grantee
    FROM principals
)
SELECT
    date_trunc('hour', event_ts) AS window_start,
    account,
    region,
    role_name,
    grantee,
    min(event_ts) AS first_seen,
    max(event_ts) AS last_seen,
    count(DISTINCT eventid) AS hits,
    max(who) AS actor,
    coalesce(max(who), 'someone') || ' (' || max(eventname) || ') let '
        || CASE WHEN grantee = '*' THEN 'ANY AWS principal' ELSE 'account ' || grantee END
        || ' assume role ' || role_name || ', outside the organization' AS summary,
    list(DISTINCT eventid) AS evidence,
    -- anyone at all may assume it: more than one named stranger
    CASE WHEN grantee = '*' THEN {{severity_anyone}} END AS severity
FROM grantees
WHERE grantee IS NOT NULL
  AND (grantee = '*' OR (grantee <> account
                         AND grantee NOT IN (SELECT account_id FROM org_accounts)))
GROUP BY 1, 2, 3, 4, 5
