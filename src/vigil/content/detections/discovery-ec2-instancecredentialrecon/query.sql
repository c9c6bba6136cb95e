-- An EC2 instance's role credentials (an AssumedRole session delivered by the instance
-- metadata service: sessionContext.ec2RoleDelivery, or a session named after the instance id)
-- calling account-reconnaissance APIs an application on an instance seldom needs: who am I,
-- which users, roles, policies and keys exist, which buckets, trails, detectors, secrets,
-- parameters, snapshots and images, the organization, quotas. A burst is one hit when, at one
-- of its calls, the window of {{window_minutes}} minutes before it holds at least {{min_apis}}
-- distinct such APIs of at least {{min_services}} services, allowed or refused. Calls from
-- infrastructure-as-code tools (a Terraform plan on a build instance reads many of them) and
-- AWS acting for the account are not counted. The lookback keeps a burst begun earlier whole.
WITH calls AS (
    SELECT
        event_ts,
        eventid,
        recipientaccountid AS account,
        awsregion AS region,
        ct_actor(useridentity) AS principal,
        regexp_extract(coalesce(useridentity.arn, ''), '/(i-[0-9a-f]+)$', 1) AS instance,
        sourceipaddress,
        split_part(eventsource, '.', 1) AS service,
        split_part(eventsource, '.', 1) || ':' || eventname AS api,
        errorcode IS NOT NULL AS refused,
        eventname,
        requestparameters
    FROM cloudtrail
    WHERE event_ts >= {{since}} - INTERVAL {{lookback_minutes}} MINUTE AND event_ts < {{until}}
      AND date BETWEEN CAST({{since}} - INTERVAL {{lookback_minutes}} MINUTE AS DATE) AND {{until_date}}
      AND (eventname IN (
              'GetCallerIdentity',
              'GetAccountAuthorizationDetails', 'GetAccountSummary', 'ListUsers', 'ListRoles',
              'ListGroups', 'ListPolicies', 'GetUser', 'ListAccessKeys', 'ListAttachedUserPolicies',
              'ListAttachedRolePolicies', 'ListAttachedGroupPolicies', 'ListUserPolicies',
              'ListRolePolicies', 'ListGroupsForUser', 'ListInstanceProfiles', 'ListAccountAliases',
              'GetAccountPasswordPolicy', 'GetCredentialReport', 'ListMFADevices',
              'ListVirtualMFADevices', 'ListSAMLProviders', 'ListOpenIDConnectProviders',
              'GetPolicy', 'GetPolicyVersion',
              'ListBuckets', 'GetBucketPolicy', 'GetBucketAcl',
              'DescribeTrails', 'GetTrailStatus', 'ListTrails', 'GetTrail', 'GetEventSelectors',
              'LookupEvents',
              'ListDetectors', 'GetDetector', 'DescribeHub', 'GetEnabledStandards',
              'DescribeConfigurationRecorders', 'DescribeConfigurationRecorderStatus', 'ListAnalyzers',
              'DescribeOrganization', 'ListAccounts', 'DescribeAccount', 'ListRoots',
              'ListOrganizationalUnitsForParent', 'ListDelegatedAdministrators',
              'ListAWSServiceAccessForOrganization',
              'DescribeSnapshots', 'DescribeImages', 'DescribeInstances', 'DescribeKeyPairs',
              'DescribeRegions', 'DescribeInstanceAttribute',
              'ListSecrets', 'DescribeParameters', 'DescribeInstanceInformation',
              'ListKeys', 'ListAliases', 'ListTables', 'DescribeDBInstances', 'DescribeDBSnapshots',
              'DescribeRepositories', 'ListClusters',
              'GetServiceQuota', 'ListServiceQuotas', 'GetSendQuota', 'ListIdentities', 'GetAccount',
              'ListFoundationModels', 'GetModelInvocationLoggingConfiguration')
           OR regexp_matches(eventname, '^(ListFunctions|GetAccountSettings)'))
      AND useridentity.type = 'AssumedRole'
      AND (useridentity.sessioncontext.ec2roledelivery IS NOT NULL
           OR regexp_matches(coalesce(useridentity.arn, ''), '/i-[0-9a-f]{8}([0-9a-f]{9})?$'))
      AND coalesce(ct_agent_family(useragent), '') NOT IN ('terraform', 'pulumi', 'cdk', 'cloudformation')
      AND NOT ct_by_aws(useridentity, sourceipaddress)
),
recon AS (
    SELECT *
    FROM calls
    WHERE api IN (
            'sts:GetCallerIdentity',
            'iam:GetAccountAuthorizationDetails', 'iam:GetAccountSummary', 'iam:ListUsers',
            'iam:ListRoles', 'iam:ListGroups', 'iam:ListPolicies', 'iam:GetUser', 'iam:ListAccessKeys',
            'iam:ListAttachedUserPolicies', 'iam:ListAttachedRolePolicies',
            'iam:ListAttachedGroupPolicies', 'iam:ListUserPolicies', 'iam:ListRolePolicies',
            'iam:ListGroupsForUser', 'iam:ListInstanceProfiles', 'iam:ListAccountAliases',
            'iam:GetAccountPasswordPolicy', 'iam:GetCredentialReport', 'iam:ListMFADevices',
            'iam:ListVirtualMFADevices', 'iam:ListSAMLProviders', 'iam:ListOpenIDConnectProviders',
            'iam:GetPolicy', 'iam:GetPolicyVersion',
            's3:ListBuckets', 's3:GetBucketPolicy', 's3:GetBucketAcl',
            'cloudtrail:DescribeTrails', 'cloudtrail:GetTrailStatus', 'cloudtrail:ListTrails',
            'cloudtrail:GetTrail', 'cloudtrail:GetEventSelectors', 'cloudtrail:LookupEvents',
            'guardduty:ListDetectors', 'guardduty:GetDetector',
            'securityhub:DescribeHub', 'securityhub:GetEnabledStandards',
            'config:DescribeConfigurationRecorders', 'config:DescribeConfigurationRecorderStatus',
            'access-analyzer:ListAnalyzers',
            'organizations:DescribeOrganization', 'organizations:ListAccounts',
            'organizations:DescribeAccount', 'organizations:ListRoots',
            'organizations:ListOrganizationalUnitsForParent', 'organizations:ListPolicies',
            'organizations:ListDelegatedAdministrators',
            'organizations:ListAWSServiceAccessForOrganization',
            'ec2:DescribeSnapshots', 'ec2:DescribeInstances', 'ec2:DescribeKeyPairs',
            'ec2:DescribeRegions', 'ec2:DescribeInstanceAttribute',
            'secretsmanager:ListSecrets', 'ssm:DescribeParameters', 'ssm:DescribeInstanceInformation',
            'kms:ListKeys', 'kms:ListAliases', 'dynamodb:ListTables',
            'rds:DescribeDBInstances', 'rds:DescribeDBSnapshots',
            'ecr:DescribeRepositories', 'eks:ListClusters',
            'servicequotas:GetServiceQuota', 'servicequotas:ListServiceQuotas',
            'ses:GetSendQuota', 'ses:ListIdentities', 'ses:GetAccount',
            'bedrock:ListFoundationModels', 'bedrock:GetModelInvocationLoggingConfiguration')
       -- the account's own images (owner self or an account id), not a lookup of public AMIs
       OR (api = 'ec2:DescribeImages'
           AND regexp_matches(coalesce(requestparameters, ''), '"owner"\s*:\s*"(self|[0-9]{12})"'))
       OR (service = 'lambda' AND regexp_matches(eventname, '^(ListFunctions|GetAccountSettings)'))
),
counted AS (
    SELECT *,
        count(DISTINCT api) OVER w AS n_apis,
        count(DISTINCT service) OVER w AS n_services,
        min(event_ts) OVER w AS window_first,
        sum(CASE WHEN refused THEN 1 ELSE 0 END) OVER w AS n_refused,
        list(api) OVER w AS window_apis,
        list(eventid) OVER w AS window_ids
    FROM recon
    WINDOW w AS (PARTITION BY account, principal ORDER BY event_ts
                 RANGE BETWEEN INTERVAL {{window_minutes}} MINUTE PRECEDING AND CURRENT ROW)
),
flagged AS (
    -- the calls at which the window before reaches both thresholds
    SELECT *
    FROM counted
    WHERE n_apis >= {{min_apis}} AND n_services >= {{min_services}}
),
gaps AS (
    SELECT *,
        CASE WHEN event_ts - lag(event_ts) OVER (PARTITION BY account, principal ORDER BY event_ts, eventid)
                  <= INTERVAL {{window_minutes}} MINUTE THEN 0 ELSE 1 END AS new_burst
    FROM flagged
),
bursts AS (
    SELECT *,
        sum(new_burst) OVER (PARTITION BY account, principal ORDER BY event_ts, eventid
                             ROWS UNBOUNDED PRECEDING) AS burst
    FROM gaps
)
SELECT
    min(window_first) AS window_start,
    account,
    min(region) AS region,
    principal AS actor,
    min(window_first) AS first_seen,
    max(event_ts) AS last_seen,
    count(*) AS hits,
    coalesce(principal, 'an instance role') || ' (instance '
        || coalesce(nullif(max(instance), ''), 'unknown') || ', from ' || max(sourceipaddress)
        || ') made reconnaissance calls: up to ' || CAST(max(n_apis) AS VARCHAR) || ' APIs of '
        || CAST(max(n_services) AS VARCHAR) || ' services within '
        || CAST({{window_minutes}} AS VARCHAR) || ' minutes, '
        || CAST(max(n_refused) AS VARCHAR) || ' calls refused: '
        || array_to_string(list_sort(list_distinct(flatten(list(window_apis)))), ', ') AS summary,
    list_distinct(flatten(list(window_ids))) AS evidence
FROM bursts
GROUP BY account, principal, burst
HAVING max(event_ts) >= {{since}}
