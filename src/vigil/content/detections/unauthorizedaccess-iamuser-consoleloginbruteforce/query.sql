SELECT
    date_trunc('hour', event_ts) AS window_start,
    recipientaccountid AS account,
    min(awsregion) AS region,
    sourceipaddress AS source_ip,
    min(event_ts) AS first_seen,
    max(event_ts) AS last_seen,
    count(*) AS hits,
    sourceipaddress AS actor,
    sourceipaddress || ': ' || CAST(count(*) FILTER (WHERE json_extract_string(responseelements, '$.ConsoleLogin') = 'Failure') AS VARCHAR)
        || ' failed and ' || CAST(count(*) FILTER (WHERE json_extract_string(responseelements, '$.ConsoleLogin') = 'Success') AS VARCHAR)
        || ' successful console sign-ins' AS summary,
    list(eventid) AS evidence
FROM cloudtrail
WHERE event_ts >= {{since}} AND event_ts < {{until}}
  AND date BETWEEN {{since_date}} AND {{until_date}}
  AND eventname = 'ConsoleLogin'
GROUP BY 1, 2, 4
HAVING count(*) FILTER (WHERE json_extract_string(responseelements, '$.ConsoleLogin') = 'Failure') >= {{min_failures}}
