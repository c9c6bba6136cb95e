-- Snapshot / AMI permissions added for a specific account that is not one of the
-- organization's (org_accounts: the configured list, the posture snapshot's accounts, and the
-- accounts whose CloudTrail the lake holds). Removals, the group `all`, organization and OU ARNs,
-- and calls that add no permission (description, productCodes, imdsSupport) are not this
-- finding; nor is AWS acting for a customer (a service-linked role, an invokedBy service).
WITH shares AS (
    SELECT
        event_ts,
        eventid,
        recipientaccountid AS account,
        awsregion AS region,
        useridentity.arn AS actor,
        coalesce(json_extract_string(requestparameters, '$.snapshotId'),
                 json_extract_string(requestparameters, '$.imageId')) AS resource_id,
        unnest(list_concat(
            json_extract_string(requestparameters, '$.createVolumePermission.add.items[*].userId'),
            json_extract_string(requestparameters, '$.launchPermission.add.items[*].userId'))
        ) AS shared_with
    FROM cloudtrail
    WHERE event_ts >= {{since}} AND event_ts < {{until}}
      AND date BETWEEN {{since_date}} AND {{until_date}}
      AND eventsource = 'ec2.amazonaws.com'
      AND eventname IN ('ModifySnapshotAttribute', 'ModifyImageAttribute')
      AND errorcode IS NULL
      AND NOT ct_by_aws(useridentity, sourceipaddress)
)
SELECT
    date_trunc('hour', event_ts) AS window_start,
    account,
    region,
    resource_id,
    shared_with,
    min(event_ts) AS first_seen,
    max(event_ts) AS last_seen,
    count(*) AS hits,
    max(actor) AS actor,
    coalesce(max(actor), 'someone') || ' shared ' || resource_id || ' with account ' || shared_with
        || ', which is not one of the organization''s' AS summary,
    list(eventid) AS evidence
FROM shares
WHERE shared_with IS NOT NULL
  AND shared_with <> account
  AND shared_with NOT IN (SELECT account_id FROM org_accounts)
GROUP BY 1, 2, 3, 4, 5
