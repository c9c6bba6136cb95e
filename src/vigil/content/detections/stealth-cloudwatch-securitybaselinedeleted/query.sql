-- The CloudWatch security baseline taken apart: log groups that receive CloudTrail, VPC flow
-- logs or Resolver query logs (named so in the lake's CreateTrail / UpdateTrail /
-- CreateFlowLogs / CreateResolverQueryLogConfig calls, or named like CloudTrail, flow log,
-- GuardDuty or Security Hub groups) deleted, their metric filters deleted, and alarms deleted
-- that are named like the CIS CloudWatch.1-14 alarms or that go with a metric filter deleted on
-- such a group within the window. One finding per principal and hour.
WITH delivered_groups AS (
    SELECT DISTINCT log_group FROM (
        SELECT regexp_extract(coalesce(json_extract_string(requestparameters, '$.cloudWatchLogsLogGroupArn'),
                                       json_extract_string(responseelements, '$.cloudWatchLogsLogGroupArn')),
                              ':log-group:([^:]+)', 1) AS log_group
        FROM cloudtrail
        WHERE eventsource = 'cloudtrail.amazonaws.com'
          AND eventname IN ('CreateTrail', 'UpdateTrail')
          AND errorcode IS NULL
        UNION ALL
        SELECT coalesce(json_extract_string(requestparameters, '$.CreateFlowLogsRequest.LogGroupName'),
                        json_extract_string(requestparameters, '$.logGroupName')) AS log_group
        FROM cloudtrail
        WHERE eventsource = 'ec2.amazonaws.com' AND eventname = 'CreateFlowLogs' AND errorcode IS NULL
        UNION ALL
        SELECT regexp_extract(json_extract_string(requestparameters, '$.destinationArn'),
                              ':log-group:([^:]+)', 1) AS log_group
        FROM cloudtrail
        WHERE eventsource = 'route53resolver.amazonaws.com'
          AND eventname = 'CreateResolverQueryLogConfig' AND errorcode IS NULL
    ) AS named
    WHERE log_group IS NOT NULL AND log_group <> ''
),
deletions AS (
    SELECT
        event_ts, eventid, eventname, recipientaccountid, awsregion, useridentity,
        ct_actor(useridentity) AS deleted_by,
        json_extract_string(requestparameters, '$.logGroupName') AS log_group,
        json_extract_string(requestparameters, '$.filterName') AS filter_name,
        json_extract_string(requestparameters, '$.alarmNames[*]') AS alarm_names
    FROM cloudtrail
    WHERE event_ts >= {{since}} AND event_ts < {{until}}
      AND date BETWEEN {{since_date}} AND {{until_date}}
      AND errorcode IS NULL
      AND ((eventsource = 'logs.amazonaws.com' AND eventname IN ('DeleteLogGroup', 'DeleteMetricFilter'))
           OR (eventsource = 'monitoring.amazonaws.com' AND eventname = 'DeleteAlarms'))
      AND coalesce(useridentity.type, '') <> 'AWSService'
      AND NOT contains(coalesce(ct_actor(useridentity), ''), ':role/aws-service-role/')
),
group_items AS (
    SELECT
        *,
        CASE WHEN eventname = 'DeleteLogGroup' THEN 'log group ' || log_group
             ELSE 'metric filter ' || coalesce(filter_name, '?') || ' on ' || log_group END AS item,
        log_group IN (SELECT log_group FROM delivered_groups)
            OR regexp_matches(lower(log_group),
                              'cloud[-_ ]?trail|flow[-_ ]?logs?|vpc[-_ ]?flow|guard[-_ ]?duty|security[-_ ]?hub')
            AS baseline
    FROM deletions
    WHERE eventname IN ('DeleteLogGroup', 'DeleteMetricFilter') AND log_group IS NOT NULL
),
baseline_filters AS (
    SELECT recipientaccountid, event_ts FROM group_items
    WHERE eventname = 'DeleteMetricFilter' AND baseline
),
alarms AS (
    SELECT event_ts, eventid, eventname, recipientaccountid, awsregion, useridentity, deleted_by,
           unnest(alarm_names) AS alarm
    FROM deletions
    WHERE eventname = 'DeleteAlarms'
),
alarm_items AS (
    SELECT
        *,
        'alarm ' || alarm AS item,
        -- names of the CIS CloudWatch.1-14 alarms and words of the security baseline
        regexp_matches(lower(alarm),
            '(^|[^a-z])cis([^a-z]|$)|unauthori[sz]ed|root[-_ .]?(account|user|usage|login|activity|sign[-_ .]?in)'
            || '|cloud[-_ .]?trail|console[-_ .]?(sign[-_ .]?in|log[-_ .]?in)|(sign[-_ .]?in|log[-_ .]?in|auth|authentication)[-_ .]?fail'
            || '|without[-_ .]?mfa|no[-_ .]?mfa|iam[-_ .]?(policy|change)|security[-_ .]?group|nacl|network[-_ .]?acl'
            || '|kms|cmk|aws[-_ .]?config|config[-_ .]?(change|recorder|rule)|bucket[-_ .]?policy'
            || '|network[-_ .]?gateway|gateway[-_ .]?change|route[-_ .]?table|vpc[-_ .]?change'
            || '|guard[-_ .]?duty|security[-_ .]?hub')
        OR EXISTS (SELECT 1 FROM baseline_filters AS f
                   WHERE f.recipientaccountid = alarms.recipientaccountid
                     AND abs(epoch(f.event_ts) - epoch(alarms.event_ts)) <= {{window_minutes}} * 60)
            AS baseline
    FROM alarms
),
items AS (
    SELECT event_ts, eventid, eventname, recipientaccountid, awsregion, useridentity, deleted_by, item
    FROM group_items WHERE baseline
    UNION ALL
    SELECT event_ts, eventid, eventname, recipientaccountid, awsregion, useridentity, deleted_by, item
    FROM alarm_items WHERE baseline
)
SELECT
    date_trunc('hour', event_ts) AS window_start,
    recipientaccountid AS account,
    min(awsregion) AS region,
    deleted_by,
    min(event_ts) AS first_seen,
    max(event_ts) AS last_seen,
    count(DISTINCT eventid) AS hits,
    max(useridentity.arn) AS actor,
    coalesce(max(useridentity.arn), deleted_by, 'someone') || ' deleted security monitoring: '
        || array_to_string(list_sort(list(DISTINCT item)), ', ') AS summary,
    list(DISTINCT eventid) AS evidence
FROM items
GROUP BY 1, 2, 4
