-- Instance-delivered sessions (ec2RoleDelivery set) used from a public IPv4 address, not via
-- a VPC endpoint, not by a service acting for the role, not from the account's own egress
-- (its instances' and NAT gateways' public addresses, own_egress) and outside AWS's published
-- ranges (aws_ranges) or inside them ({{inside_aws}}: the OutsideAWS and InsideAWS findings).
SELECT
    date_trunc('hour', event_ts) AS window_start,
    recipientaccountid AS account,
    awsregion AS region,
    useridentity.arn AS role_session,
    sourceipaddress AS source_ip,
    min(event_ts) AS first_seen,
    max(event_ts) AS last_seen,
    count(*) AS hits,
    sourceipaddress AS actor,
    useridentity.arn || ' made ' || CAST(count(*) AS VARCHAR) || ' call(s) from ' || sourceipaddress AS summary,
    list(eventid) AS evidence
FROM cloudtrail
WHERE event_ts >= {{since}} AND event_ts < {{until}}
  AND date BETWEEN {{since_date}} AND {{until_date}}
  AND useridentity.type = 'AssumedRole'
  AND useridentity.sessioncontext.ec2roledelivery IS NOT NULL
  AND useridentity.invokedby IS NULL
  AND vpcendpointid IS NULL
  AND ipv4_to_int(sourceipaddress) IS NOT NULL
  AND NOT is_private_ip(sourceipaddress)
  AND NOT EXISTS (SELECT 1 FROM own_egress e
                  WHERE e.address = sourceipaddress AND e.account = recipientaccountid)
  AND (EXISTS (SELECT 1 FROM aws_ranges r
                         WHERE ipv4_to_int(sourceipaddress) BETWEEN r.lo AND r.hi)) = {{inside_aws}}
GROUP BY 1, 2, 3, 4, 5
