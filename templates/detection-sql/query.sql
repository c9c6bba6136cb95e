-- One row per finding and window: the output columns every unit returns (window_start,
-- account, region, first_seen, last_seen, hits, actor, summary, evidence) and its group_by
-- columns. {{since}}/{{until}} bound the run; parameters come from detection.yaml.
SELECT
    date_trunc('hour', event_ts) AS window_start,
    recipientaccountid AS account,
    min(awsregion) AS region,
    useridentity.arn AS principal,
    min(event_ts) AS first_seen,
    max(event_ts) AS last_seen,
    count(*) AS hits,
    max(sourceipaddress) AS actor,
    CAST(count(*) AS VARCHAR) || ' calls refused, e.g. ' || min(eventname) AS summary,
    list(eventid) AS evidence
FROM cloudtrail
WHERE event_ts >= {{since}} AND event_ts < {{until}}
  AND date BETWEEN {{since_date}} AND {{until_date}}
  AND errorcode = 'AccessDenied'
GROUP BY 1, 2, 4
HAVING count(*) >= {{min_denied}}
