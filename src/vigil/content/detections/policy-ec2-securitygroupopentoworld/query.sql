-- Any /0 source range in the request: IPv4 (cidrIp) or IPv6 (cidrIpv6), old and new APIs.
-- A /0 is the whole internet whatever its host bits: 208.236.235.254/0 is 0.0.0.0/0.
SELECT
    date_trunc('hour', event_ts) AS window_start,
    recipientaccountid AS account,
    awsregion AS region,
    coalesce(json_extract_string(requestparameters, '$.groupId'),
             json_extract_string(requestparameters, '$.ModifySecurityGroupRulesRequest.GroupId')) AS group_id,
    min(event_ts) AS first_seen,
    max(event_ts) AS last_seen,
    count(*) AS hits,
    max(useridentity.arn) AS actor,
    max(useridentity.arn) || ' allowed the whole internet into ' || coalesce(
        json_extract_string(requestparameters, '$.groupId'), 'a security group') AS summary,
    list(eventid) AS evidence
FROM cloudtrail
WHERE event_ts >= {{since}} AND event_ts < {{until}}
  AND date BETWEEN {{since_date}} AND {{until_date}}
  AND eventsource = 'ec2.amazonaws.com'
  AND eventname IN ('AuthorizeSecurityGroupIngress', 'ModifySecurityGroupRules')
  AND errorcode IS NULL
  -- an AWS service's own rules (a load balancer's or an EKS cluster's, through its
  -- service-linked role) are the service's design; a stack's owner through CloudFormation
  -- is still someone opening the group
  AND coalesce(useridentity.type, '') <> 'AWSService'
  AND coalesce(useridentity.sessioncontext.sessionissuer.arn, '') NOT LIKE '%:role/aws-service-role/%'
  AND regexp_matches(requestparameters, '"(cidrIp|CidrIpv4|cidrIpv6|CidrIpv6)"\s*:\s*"\s*[0-9A-Fa-f.:]+/0\s*"')
GROUP BY 1, 2, 3, 4, json_extract_string(requestparameters, '$.groupId')
