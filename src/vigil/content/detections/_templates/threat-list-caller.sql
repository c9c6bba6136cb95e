-- CloudTrail calls from an address inside a range of one of the user's threat lists (IPv4 or
-- IPv6; `vigil intel add --threat`), unless a trusted list holds it. {{calls}} picks them:
-- 'discovery' (Describe*, List*, Get*: the Recon types) or 'other' (everything else: changes,
-- launches, sign-ins, data access: the UnauthorizedAccess types); S3 object requests are
-- left to the S3 units, which read them with the server access logs. Lists carry no kind, only
-- their file name: {{lists}} is a regular expression the name must match ('' = every list),
-- {{skip_lists}} one it must not ('' = none), which is how the Tor units and the .Custom units
-- share the lists out. Refused calls count: an attempt is the signal. The distinct source
-- addresses are matched first, IPv4 by hash per prefix length, IPv6 by range.
WITH calls AS (
    SELECT *,
        coalesce(ct_actor(useridentity), useridentity.username, useridentity.type,
                 'an unknown principal') AS principal
    FROM cloudtrail
    WHERE event_ts >= {{since}} AND event_ts < {{until}}
      AND date BETWEEN {{since_date}} AND {{until_date}}
      AND regexp_matches(coalesce(eventname, ''), '^(Describe|List|Get)') = ({{calls}} = 'discovery')
      -- S3 data events are the S3 units' (s3-threat-list-caller): one finding, not two
      AND NOT coalesce(eventsource = 's3.amazonaws.com'
                       AND coalesce(eventcategory = 'Data', NOT managementevent, false), false)
),
lists AS (
    SELECT * FROM (SELECT *, regexp_extract(list_name, '[^/]*$') AS file FROM threat_list)
    WHERE ({{lists}} = '' OR regexp_matches(file, {{lists}}))
      AND ({{skip_lists}} = '' OR NOT regexp_matches(file, {{skip_lists}}))
),
sources AS (
    SELECT DISTINCT sourceipaddress AS ip, ipv4_to_int(sourceipaddress) AS n FROM calls
),
keyed4 AS (
    SELECT s.ip, s.n, p.prefix, CAST(s.n AS UBIGINT) >> (32 - p.prefix) AS net_key
    FROM sources s CROSS JOIN (SELECT DISTINCT prefix FROM lists WHERE version = 4) p
    WHERE s.n IS NOT NULL
),
listed AS (
    SELECT k.ip, min(t.file) AS list_name
    FROM keyed4 k JOIN lists t ON t.prefix = k.prefix AND t.net_key = k.net_key
    WHERE NOT is_trusted_addr(k.n, k.ip)
    GROUP BY k.ip
    UNION ALL
    SELECT s.ip, min(t.file)
    FROM sources s JOIN lists t ON ipv6_key(s.ip) BETWEEN t.lo6 AND t.hi6
    WHERE s.n IS NULL AND contains(s.ip, ':') AND NOT is_trusted_addr(NULL, s.ip)
    GROUP BY s.ip
)
SELECT
    date_trunc('hour', c.event_ts) AS window_start,
    c.recipientaccountid AS account,
    min(c.awsregion) AS region,
    c.sourceipaddress AS source_ip,
    c.principal,
    min(c.event_ts) AS first_seen,
    max(c.event_ts) AS last_seen,
    count(*) AS hits,
    c.principal AS actor,
    c.sourceipaddress || ' (on threat list ' || min(l.list_name) || ') made '
        || CAST(count(*) AS VARCHAR)
        || CASE WHEN {{calls}} = 'discovery' THEN ' discovery' ELSE ' non-discovery' END
        || ' call(s) as ' || c.principal || ', e.g. ' || min(c.eventname)
        || CASE WHEN count(c.errorcode) > 0 THEN ' (' || CAST(count(c.errorcode) AS VARCHAR) || ' refused)' ELSE '' END
        AS summary,
    list(c.eventid) AS evidence
FROM calls c JOIN listed l ON l.ip = c.sourceipaddress
GROUP BY 1, 2, 4, 5
