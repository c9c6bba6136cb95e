-- A manual RDS DB or cluster snapshot shared: ModifyDBSnapshotAttribute /
-- ModifyDBClusterSnapshotAttribute with attributeName restore adding "all" (public: any AWS
-- account may copy or restore it) or an account that is not one of the organization's.
-- valuesToRemove is not sharing.
WITH shares AS (
    SELECT
        event_ts,
        eventid,
        recipientaccountid AS account,
        awsregion AS region,
        ct_actor(useridentity) AS who,
        coalesce(json_extract_string(requestparameters, '$.dBSnapshotIdentifier'),
                 json_extract_string(requestparameters, '$.dBClusterSnapshotIdentifier')) AS snapshot_id,
        unnest(json_extract_string(requestparameters, '$.valuesToAdd[*]')) AS shared_with
    FROM cloudtrail
    WHERE event_ts >= {{since}} AND event_ts < {{until}}
      AND date BETWEEN {{since_date}} AND {{until_date}}
      AND eventsource = 'rds.amazonaws.com'
      AND eventname IN ('ModifyDBSnapshotAttribute', 'ModifyDBClusterSnapshotAttribute')
      AND lower(json_extract_string(requestparameters, '$.attributeName')) = 'restore'
      AND errorcode IS NULL
      AND NOT ct_by_aws(useridentity, sourceipaddress)
)
SELECT
    date_trunc('hour', event_ts) AS window_start,
    account,
    min(region) AS region,
    snapshot_id,
    shared_with,
    min(event_ts) AS first_seen,
    max(event_ts) AS last_seen,
    count(*) AS hits,
    max(who) AS actor,
    coalesce(max(who), 'someone') || ' shared RDS snapshot ' || snapshot_id || ' with '
        || CASE WHEN lower(shared_with) = 'all' THEN 'ALL AWS accounts (public)'
                ELSE 'account ' || shared_with || ', outside the organization' END AS summary,
    list(eventid) AS evidence,
    CASE WHEN lower(shared_with) = 'all' THEN {{severity_public}} END AS severity  -- public
FROM shares
WHERE shared_with IS NOT NULL
  AND (lower(shared_with) = 'all'
       OR (shared_with <> account AND shared_with NOT IN (SELECT account_id FROM org_accounts)))
GROUP BY 1, 2, 4, 5
