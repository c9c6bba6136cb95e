-- A bucket ACL or bucket policy change that makes the bucket PUBLIC as S3 Block Public Access
-- defines it ("The meaning of public"), split as GuardDuty splits it:
--   anonymous (Policy:S3/BucketAnonymousAccessGranted): an ACL grant to AllUsers (or the
--     canned ACL public-read / public-read-write), or an Allow statement for the principal "*"
--     ({"AWS": "*"}, or NotPrincipal) that no condition narrows;
--   any AWS account (Policy:S3/BucketPublicAccessGranted): an ACL grant to AuthenticatedUsers
--     (canned authenticated-read), or such a statement whose only limits need an authenticated
--     caller without naming one (aws:PrincipalArn "arn:aws:iam::*:role/x", aws:PrincipalType,
--     ...), or a Federated principal; and no anonymous grant in the same change.
-- A statement is narrowed (not public) by a positive condition (StringEquals, StringLike,
-- ArnEquals, ArnLike, IpAddress, ForAnyValue:...; not ...IfExists, not negated operators, not
-- Null or Bool) on fixed values (no wildcard, no policy variable) of aws:SourceIp (no range
-- broader than /8 IPv4, /32 IPv6), aws:SourceArn, aws:SourceVpc, aws:SourceVpce,
-- aws:SourceOwner, aws:SourceAccount, aws:SourceOrgID/OrgPaths, aws:PrincipalOrgID/OrgPaths,
-- aws:PrincipalAccount, aws:PrincipalArn, aws:PrincipalServiceName, aws:userid (also
-- "AROLEID:*"), aws:VpceAccount/OrgID/OrgPaths, s3:DataAccessPointArn/Account,
-- s3:x-amz-server-side-encryption-aws-kms-key-id. An ARN whose account is fixed counts as
-- fixed (as S3 does for access point ARNs); an organization path whose organization id is
-- fixed too. Deny statements grant nothing. AWS acting for a customer is not counted.
-- {{audience}} picks the kind: 'anonymous' or 'authenticated'.
WITH changes AS (
    SELECT
        event_ts,
        eventid,
        eventname,
        recipientaccountid AS account,
        awsregion AS region,
        ct_actor(useridentity) AS who,
        json_extract_string(requestparameters, '$.bucketName') AS bucket,
        requestparameters AS rp
    FROM cloudtrail
    WHERE event_ts >= {{since}} AND event_ts < {{until}}
      AND date BETWEEN {{since_date}} AND {{until_date}}
      AND eventsource = 's3.amazonaws.com'
      AND eventname IN ('PutBucketAcl', 'PutBucketPolicy')
      AND errorcode IS NULL
      AND NOT ct_by_aws(useridentity, sourceipaddress)
),
acl_grants AS (
    SELECT
        eventid,
        regexp_matches(rp, 'acs\.amazonaws\.com/groups/global/AllUsers')
            OR regexp_matches(rp, '"x-amz-acl"\s*:\s*\[?\s*"public-read') AS anonymous,
        regexp_matches(rp, 'acs\.amazonaws\.com/groups/global/AuthenticatedUsers')
            OR regexp_matches(rp, '"x-amz-acl"\s*:\s*\[?\s*"authenticated-read"') AS authenticated
    FROM changes
    WHERE eventname = 'PutBucketAcl'
),
statements AS (
    SELECT eventid, unnest(CASE WHEN json_type(rp, '$.bucketPolicy.Statement') = 'ARRAY'
                                THEN json_extract(rp, '$.bucketPolicy.Statement[*]')
                                ELSE [json_extract(rp, '$.bucketPolicy.Statement')] END) AS stmt
    FROM changes
    WHERE eventname = 'PutBucketPolicy'
),
grants AS (
    -- Allow statements for anyone: "*", {"AWS": "*"} (or a list holding "*"), NotPrincipal,
    -- or a web identity provider (Federated)
    SELECT
        eventid,
        CAST(stmt AS VARCHAR) AS sid,
        json_extract(stmt, '$.Condition') AS cond,
        NOT (coalesce(json_extract_string(stmt, '$.Principal'), '') = '*'
             OR regexp_matches(coalesce(CAST(json_extract(stmt, '$.Principal.AWS') AS VARCHAR), ''),
                               '"\*"')
             OR json_extract(stmt, '$.NotPrincipal') IS NOT NULL) AS federated_only
    FROM statements
    WHERE lower(json_extract_string(stmt, '$.Effect')) = 'allow'
      AND (coalesce(json_extract_string(stmt, '$.Principal'), '') = '*'
           OR regexp_matches(coalesce(CAST(json_extract(stmt, '$.Principal.AWS') AS VARCHAR), ''),
                             '"\*"')
           OR json_extract(stmt, '$.NotPrincipal') IS NOT NULL
           OR json_extract(stmt, '$.Principal.Federated') IS NOT NULL)
),
operators AS (
    SELECT eventid, sid, cond, unnest(json_keys(cond)) AS op
    FROM grants
    WHERE json_type(cond) = 'OBJECT'
),
condition_keys AS (
    SELECT eventid, sid, cond, op, unnest(json_keys(json_extract(cond, '$."' || op || '"'))) AS k
    FROM operators
    WHERE json_type(json_extract(cond, '$."' || op || '"')) = 'OBJECT'
),
entries AS (
    SELECT
        eventid,
        sid,
        lower(op) AS op,
        lower(k) AS k,
        CAST(json_extract(cond, '$."' || op || '"."' || k || '"') AS VARCHAR) AS v
    FROM condition_keys
),
judged AS (
    SELECT
        eventid,
        sid,
        regexp_matches(op, '^(foranyvalue:)?(stringequals|stringequalsignorecase|stringlike|arnequals|arnlike|ipaddress)$')
        AND k IN ('aws:sourceip', 'aws:sourcearn', 'aws:sourcevpc', 'aws:sourcevpce',
                  'aws:sourceowner', 'aws:sourceaccount', 'aws:sourceorgid', 'aws:sourceorgpaths',
                  'aws:principalorgid', 'aws:principalorgpaths', 'aws:principalaccount',
                  'aws:principalarn', 'aws:principalservicename', 'aws:userid',
                  'aws:vpceaccount', 'aws:vpceorgid', 'aws:vpceorgpaths',
                  's3:dataaccesspointarn', 's3:dataaccesspointaccount',
                  's3:x-amz-server-side-encryption-aws-kms-key-id')
        AND NOT regexp_matches(
            CASE
                WHEN k = 'aws:userid' THEN replace(v, ':*"', '"')
                WHEN k IN ('aws:principalarn', 'aws:sourcearn', 's3:dataaccesspointarn')
                    THEN regexp_replace(v, '"arn:[^:"]*:[^:"]*:[^:"]*:[0-9]{12}:[^"]*"', '"fixed"', 'g')
                WHEN k IN ('aws:principalorgpaths', 'aws:sourceorgpaths', 'aws:vpceorgpaths')
                    THEN regexp_replace(v, '"o-[a-z0-9]+/[^"]*"', '"fixed"', 'g')
                ELSE v END,
            '[*?]|\$\{')
        AND NOT (k = 'aws:sourceip'
                 AND (regexp_matches(v, '"[0-9.]+/[0-7]"')
                      OR regexp_matches(lower(v), '"[0-9a-f:]*:[0-9a-f:]*/([0-9]|[12][0-9]|3[01])"')))
            AS narrowing,
        regexp_matches(op, '^(foranyvalue:)?(string|arn)(equals|equalsignorecase|like)$')
        AND (k IN ('aws:principalarn', 'aws:principalaccount', 'aws:principalorgid',
                   'aws:principalorgpaths', 'aws:principaltype', 'aws:userid', 'aws:username')
             OR k LIKE 'aws:principaltag/%') AS needs_principal
    FROM entries
),
statement_flags AS (
    SELECT
        g.eventid,
        g.sid,
        max(CASE WHEN g.federated_only THEN 1 ELSE 0 END) = 1 AS federated_only,
        coalesce(bool_or(j.narrowing), false) AS narrowed,
        coalesce(bool_or(j.needs_principal), false) AS needs_principal
    FROM grants g
    LEFT JOIN judged j ON j.eventid = g.eventid AND j.sid = g.sid
    GROUP BY 1, 2
),
policy_grants AS (
    SELECT
        eventid,
        bool_or(NOT narrowed AND NOT needs_principal AND NOT federated_only) AS anonymous,
        bool_or(NOT narrowed AND (needs_principal OR federated_only)) AS authenticated
    FROM statement_flags
    GROUP BY 1
),
public_changes AS (
    SELECT c.*, p.anonymous, p.authenticated,
        CASE WHEN c.eventname = 'PutBucketAcl' THEN 'an ACL grant' ELSE 'a bucket policy statement' END AS how
    FROM changes c
    JOIN (SELECT * FROM acl_grants UNION ALL SELECT * FROM policy_grants) p ON p.eventid = c.eventid
)
SELECT
    date_trunc('hour', event_ts) AS window_start,
    account,
    region,
    bucket,
    min(event_ts) AS first_seen,
    max(event_ts) AS last_seen,
    count(*) AS hits,
    max(who) AS actor,
    coalesce(max(who), 'someone') || ' made bucket ' || bucket
        || CASE WHEN {{audience}} = 'anonymous' THEN ' open to anyone on the internet, without signing in ('
                ELSE ' open to every authenticated AWS principal of any account (' END
        || max(how) || ')' AS summary,
    list(eventid) AS evidence
FROM public_changes
WHERE CASE WHEN {{audience}} = 'anonymous' THEN anonymous ELSE authenticated AND NOT anonymous END
GROUP BY 1, 2, 3, 4
