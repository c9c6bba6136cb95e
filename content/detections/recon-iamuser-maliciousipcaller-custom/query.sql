SELECT
    date_trunc('hour', c.event_ts) AS window_start,
    c.recipientaccountid AS account,
    c.awsregion AS region,
    c.sourceipaddress AS source_ip,
    coalesce(c.useridentity.arn, c.useridentity.type) AS principal,
    min(c.event_ts) AS first_seen,
    max(c.event_ts) AS last_seen,
    count(*) AS hits,
    c.sourceipaddress AS actor,
    c.sourceipaddress || ' (' || min(t.list_name) || ') made ' || CAST(count(*) AS VARCHAR)
        || ' call(s), e.g. ' || min(c.eventname) AS summary,
    list(c.eventid) AS evidence
FROM cloudtrail c
JOIN threat_list t ON ipv4_to_int(c.sourceipaddress) BETWEEN t.lo AND t.hi
WHERE c.event_ts >= {{since}} AND c.event_ts < {{until}}
  AND c.date BETWEEN {{since_date}} AND {{until_date}}
  AND NOT EXISTS (SELECT 1 FROM trusted_list u WHERE ipv4_to_int(c.sourceipaddress) BETWEEN u.lo AND u.hi)
GROUP BY 1, 2, 3, 4, 5
