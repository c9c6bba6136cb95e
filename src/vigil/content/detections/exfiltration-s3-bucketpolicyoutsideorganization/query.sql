-- A bucket policy (PutBucketPolicy; CloudTrail keeps requestParameters.bucketPolicy as an
-- object) with an Allow statement for an AWS principal of an account outside the organization:
-- an account id or an IAM/STS ARN whose account is not the bucket's, not in org_accounts and not
-- one of {{aws_service_accounts}} (the accounts Elastic Load Balancing writes access logs from).
-- "*" is the public-access unit's; a condition on aws:PrincipalOrgID, aws:PrincipalOrgPaths,
-- aws:SourceVpce, aws:SourceVpc or aws:SourceIp narrows the statement. Deny grants nothing.
WITH policies AS (
    SELECT
        event_ts,
        eventid,
        recipientaccountid AS account,
        awsregion AS region,
        ct_actor(useridentity) AS who,
        json_extract_string(requestparameters, '$.bucketName') AS bucket,
        json_extract(requestparameters, '$.bucketPolicy') AS doc
    FROM cloudtrail
    WHERE event_ts >= {{since}} AND event_ts < {{until}}
      AND date BETWEEN {{since_date}} AND {{until_date}}
      AND eventsource = 's3.amazonaws.com'
      AND eventname = 'PutBucketPolicy'
      AND errorcode IS NULL
      AND NOT ct_by_aws(useridentity, sourceipaddress)
),
statements AS (
    SELECT *, unnest(CASE WHEN json_type(doc, '$.Statement') = 'ARRAY'
                          THEN json_extract(doc, '$.Statement[*]')
                          ELSE [json_extract(doc, '$.Statement')] END) AS stmt
    FROM policies
    WHERE doc IS NOT NULL
),
principals AS (
    SELECT *,
        unnest(CASE
            WHEN json_type(stmt, '$.Principal.AWS') = 'ARRAY'
                THEN json_extract_string(stmt, '$.Principal.AWS[*]')
            WHEN json_type(stmt, '$.Principal.AWS') = 'VARCHAR'
                THEN [json_extract_string(stmt, '$.Principal.AWS')]
            ELSE [] END) AS principal
    FROM statements
    WHERE lower(json_extract_string(stmt, '$.Effect')) = 'allow'
      AND NOT regexp_matches(lower(coalesce(CAST(json_extract(stmt, '$.Condition') AS VARCHAR), '')),
                             'aws:(principalorgid|principalorgpaths|sourcevpce|sourcevpc|sourceip)"')
),
grants AS (
    SELECT *,
        CASE WHEN regexp_matches(principal, '^[0-9]{12}$') THEN principal
             ELSE nullif(regexp_extract(principal, '^arn:aws[a-z-]*:(iam|sts)::([0-9]{12}):', 2), '')
             END AS shared_with
    FROM principals
)
SELECT
    date_trunc('hour', event_ts) AS window_start,
    account,
    min(region) AS region,
    bucket,
    shared_with,
    min(event_ts) AS first_seen,
    max(event_ts) AS last_seen,
    count(DISTINCT eventid) AS hits,
    max(who) AS actor,
    coalesce(max(who), 'someone') || ' let account ' || shared_with
        || ', outside the organization, into bucket ' || bucket || ' ('
        || string_agg(DISTINCT CAST(json_extract(stmt, '$.Action') AS VARCHAR), ', ') || ')' AS summary,
    list(DISTINCT eventid) AS evidence
FROM grants
WHERE shared_with IS NOT NULL
  AND shared_with <> account
  AND shared_with NOT IN (SELECT account_id FROM org_accounts)
  AND shared_with NOT IN {{aws_service_accounts}}
GROUP BY 1, 2, 4, 5
