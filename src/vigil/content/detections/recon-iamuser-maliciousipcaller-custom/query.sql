-- API calls from an address inside a threat-list range (IPv4 or IPv6), unless trusted. The
-- distinct source addresses are matched first, IPv4 by hash per prefix length.
WITH calls AS (
    SELECT *
    FROM cloudtrail
    WHERE event_ts >= {{since}} AND event_ts < {{until}}
      AND date BETWEEN {{since_date}} AND {{until_date}}
),
sources AS (
    SELECT DISTINCT sourceipaddress AS ip, ipv4_to_int(sourceipaddress) AS n FROM calls
),
keyed4 AS (
    SELECT s.ip, s.n, p.prefix, CAST(s.n AS UBIGINT) >> (32 - p.prefix) AS net_key
    FROM sources s CROSS JOIN (SELECT DISTINCT prefix FROM threat_list WHERE version = 4) p
    WHERE s.n IS NOT NULL
),
listed AS (
    SELECT k.ip, min(t.list_name) AS list_name
    FROM keyed4 k JOIN threat_list t ON t.prefix = k.prefix AND t.net_key = k.net_key
    WHERE NOT is_trusted_addr(k.n, k.ip)
    GROUP BY k.ip
    UNION ALL
    SELECT s.ip, min(t.list_name)
    FROM sources s JOIN threat_list t ON ipv6_key(s.ip) BETWEEN t.lo6 AND t.hi6
    WHERE s.n IS NULL AND contains(s.ip, ':') AND NOT is_trusted_addr(NULL, s.ip)
    GROUP BY s.ip
)
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
    c.sourceipaddress || ' (' || min(l.list_name) || ') made ' || CAST(count(*) AS VARCHAR)
        || ' call(s), e.g. ' || min(c.eventname) AS summary,
    list(c.eventid) AS evidence
FROM calls c JOIN listed l ON l.ip = c.sourceipaddress
GROUP BY 1, 2, 3, 4, 5
