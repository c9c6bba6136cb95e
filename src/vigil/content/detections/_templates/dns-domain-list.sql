-- Route 53 Resolver queries for names on a domain threat list, one finding type per list
-- category (docs/threat-lists.md, "Which list raises which finding"). Every unit of this
-- template computes the same route for a name, so one query raises one finding type:
--   * each distinct queried name is matched against `domain_list` through its suffixes (an
--     entry matches the name and every name under it), one hash join over distinct names;
--   * a name any trusted entry holds matches nothing;
--   * of a name's threat entries the route with the highest priority wins (c2, dropzone,
--     mining, phishing, driveby, blackhole, then the reputation classes, then custom), then
--     the most specific entry, then the list's name;
--   * 'blackhole' also takes names on no list that answered an unspecified address
--     (0.0.0.0 or ::), the usual sinkhole of a filtering upstream resolver.
-- {{route}} is the unit's route. The instance is srcids.instance, or the client address for
-- queries that came in through an inbound Resolver endpoint.
WITH raw AS (  -- the distinct names as logged (few, against millions of queries)
    SELECT DISTINCT query_name FROM dns_logs
    WHERE query_ts >= {{since}} AND query_ts < {{until}}
      AND date BETWEEN {{since_date}} AND {{until_date}}
),
spelled AS (SELECT query_name, dns_name(query_name) AS name FROM raw),
names AS (SELECT DISTINCT name FROM spelled),
hits AS (
    SELECT n.name, d.domain, d.kind, d.list_name, d.category, d.reputation
    FROM (SELECT name, unnest(dns_suffixes(name)) AS suffix FROM names) n
    JOIN domain_list d ON d.domain = n.suffix
),
trusted AS (SELECT DISTINCT name FROM hits WHERE kind = 'trusted'),
routed AS (
    SELECT h.*,
        CASE
            WHEN h.category IN ('c2', 'dropzone', 'mining', 'phishing', 'driveby', 'blackhole')
                THEN h.category
            WHEN h.reputation AND h.category IN ('suspicious', 'abused', 'bitcoin')
                THEN h.category || '-reputation'
            WHEN h.reputation THEN 'malicious-reputation'
            ELSE 'custom'
        END AS route
    FROM hits h
    WHERE h.kind = 'threat' AND h.name NOT IN (SELECT name FROM trusted)
),
listed AS (
    SELECT name, domain, list_name, route FROM (
        SELECT r.*, row_number() OVER (
            PARTITION BY r.name
            ORDER BY CASE r.route WHEN 'c2' THEN 1 WHEN 'dropzone' THEN 2 WHEN 'mining' THEN 3
                WHEN 'phishing' THEN 4 WHEN 'driveby' THEN 5 WHEN 'blackhole' THEN 6
                WHEN 'malicious-reputation' THEN 7 WHEN 'bitcoin-reputation' THEN 8
                WHEN 'abused-reputation' THEN 9 WHEN 'suspicious-reputation' THEN 10
                ELSE 11 END,
                length(r.domain) DESC, r.list_name) AS pick
        FROM routed r
    ) WHERE pick = 1
),
sinkholed AS (  -- read only by the blackhole unit
    SELECT DISTINCT s.name, s.name AS domain, 'answered a sinkhole address' AS list_name,
        'blackhole' AS route
    FROM (SELECT query_name, unnest(answers) AS a FROM dns_logs
          WHERE {{route}} = 'blackhole'
            AND query_ts >= {{since}} AND query_ts < {{until}}
            AND date BETWEEN {{since_date}} AND {{until_date}}
            AND rcode = 'NOERROR' AND query_type IN ('A', 'AAAA')) z
    JOIN spelled s ON s.query_name = z.query_name
    WHERE z.a.Type IN ('A', 'AAAA') AND z.a.Rdata IN ('0.0.0.0', '::')
      AND s.name NOT IN (SELECT name FROM trusted)
      AND s.name NOT IN (SELECT name FROM listed)
),
found AS (
    SELECT s.query_name, f.domain, f.list_name FROM (
        SELECT name, domain, list_name FROM listed WHERE route = {{route}}
        UNION ALL
        SELECT name, domain, list_name FROM sinkholed
    ) f JOIN spelled s ON s.name = f.name
),
q AS (
    SELECT d.query_ts, d.query_timestamp, d.query_name, d.account_id, d.region, d.rcode,
        dns_name(d.query_name) AS name, f.domain, f.list_name,
        coalesce(d.srcids.instance, d.srcaddr) AS instance
    FROM dns_logs d JOIN found f ON f.query_name = d.query_name
    WHERE d.query_ts >= {{since}} AND d.query_ts < {{until}}
      AND d.date BETWEEN {{since_date}} AND {{until_date}}
)
SELECT
    to_timestamp(floor(epoch(query_ts) / ({{window_minutes}} * 60)) * ({{window_minutes}} * 60))
        AS window_start,
    account_id AS account,
    min(region) AS region,
    instance,
    domain,
    min(query_ts) AS first_seen,
    max(query_ts) AS last_seen,
    count(*) AS hits,
    instance AS actor,
    instance || ' asked for ' || CAST(count(DISTINCT name) AS VARCHAR) || ' name(s) under '
        || domain || ' (' || min(list_name) || '), e.g. ' || min(name)
        || ' (' || CAST(count(*) AS VARCHAR) || ' queries, '
        || CAST(count(*) FILTER (WHERE rcode = 'NOERROR') AS VARCHAR) || ' answered)'
        AS summary,
    list(query_timestamp || ' ' || query_name) AS evidence
FROM q
GROUP BY 1, 2, 4, 5
