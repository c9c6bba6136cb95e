-- Successful RunInstances of a type crypto-miners and LLM resellers want (GPU, ML accelerator,
-- FPGA, video transcoding families), of a very large size (24xlarge and up, bare metal), or of
-- many instances in one call. The type is in the request (instanceType) unless a launch
-- template supplies it; then it is in the response's instances. A launch of such a type or
-- size that EC2 refused (no permission, a quota, no capacity, the type unsupported there, the
-- account still being verified) counts too: trying is the signal, whether or not it worked.
-- Dry runs and AWS's own refused retries (an Auto Scaling group at its quota) do not count.
WITH launches AS (
    SELECT
        event_ts,
        eventid,
        recipientaccountid AS account,
        awsregion AS region,
        ct_actor(useridentity) AS principal,
        ct_by_aws(useridentity, sourceipaddress) AS by_aws,
        lower(coalesce(
            json_extract_string(requestparameters, '$.instanceType'),
            json_extract_string(requestparameters, '$.instancesSet.items[0].instanceType'),
            json_extract_string(requestparameters, '$.launchTemplate.instanceType'),
            nullif(regexp_extract(coalesce(responseelements, ''),
                                  '"instanceType"\s*:\s*"([^"]+)"', 1), ''),
            'unknown')) AS instance_type,
        greatest(
            coalesce(CAST(json_extract_string(requestparameters, '$.instancesSet.items[0].minCount') AS INTEGER), 0),
            coalesce(CAST(json_extract_string(requestparameters, '$.instancesSet.items[0].maxCount') AS INTEGER), 0),
            coalesce(CAST(json_array_length(json_extract(responseelements, '$.instancesSet.items')) AS INTEGER), 0)
        ) AS requested,
        coalesce(CAST(json_array_length(json_extract(responseelements, '$.instancesSet.items')) AS INTEGER), 0) AS launched,
        errorcode IS NOT NULL AS refused,
        errorcode
    FROM cloudtrail
    WHERE event_ts >= {{since}} AND event_ts < {{until}}
      AND date BETWEEN {{since_date}} AND {{until_date}}
      AND eventsource = 'ec2.amazonaws.com'
      AND eventname = 'RunInstances'
      AND (errorcode IS NULL
           OR (regexp_matches(errorcode,
                   '^(Client\.|Server\.)?(UnauthorizedOperation|AccessDenied|InstanceLimitExceeded|VcpuLimitExceeded|MaxSpotInstanceCountExceeded|InsufficientInstanceCapacity|InsufficientCapacity|Unsupported|PendingVerification|OptInRequired|Blocked)$')
               AND NOT ct_by_aws(useridentity, sourceipaddress)))
),
marked AS (
    SELECT *,
        regexp_matches(instance_type,
            '^(p[2-6]|g[3-6]|gr6|inf[12]|trn[12]|dl[12]|f[12]|vt1)[a-z0-9-]*\.') AS accelerated,
        regexp_matches(instance_type,
            '\.(metal(-[a-z0-9]+)?|(2[4-9]|[3-9][0-9]|[1-9][0-9][0-9]+)xlarge)$') AS very_large,
        -- an Auto Scaling group or fleet scaling out is AWS acting: its count is not a signal
        -- (refused calls count for their type or size only: many refusals are another unit's)
        (requested >= {{min_instances}} AND NOT by_aws AND NOT refused) AS many
    FROM launches
)
SELECT
    date_trunc('hour', event_ts) AS window_start,
    account,
    region,
    principal AS actor,
    instance_type,
    min(event_ts) AS first_seen,
    max(event_ts) AS last_seen,
    count(*) AS hits,
    coalesce(principal, 'someone')
        || CASE WHEN bool_and(refused) THEN ' tried to launch ' || instance_type
                ELSE ' launched ' || CAST(sum(launched) AS VARCHAR) || ' x ' || instance_type END
        || ' (requested up to ' || CAST(max(requested) AS VARCHAR) || ')'
        || CASE WHEN bool_and(refused) THEN ' and was refused'
                WHEN bool_or(refused) THEN ', and had ' || CAST(sum(CASE WHEN refused THEN 1 ELSE 0 END) AS VARCHAR)
                     || ' more launch(es) refused'
                ELSE '' END
        || CASE WHEN bool_or(refused)
                THEN ' (' || array_to_string(list_sort(list_distinct(list(errorcode) FILTER (WHERE refused))), ', ') || ')'
                ELSE '' END
        || CASE WHEN bool_or(accelerated) THEN ': a GPU or accelerator type' ELSE '' END
        || CASE WHEN bool_or(very_large) THEN ': a very large size' ELSE '' END
        || CASE WHEN bool_or(many) THEN ': many instances in one call' ELSE '' END AS summary,
    list(eventid ORDER BY event_ts) AS evidence
FROM marked
WHERE accelerated OR very_large OR many
GROUP BY 1, 2, 3, 4, 5
