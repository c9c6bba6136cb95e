-- One instance asking for many distinct registered domains whose label the DGA model flags
-- (dga_flagged: generated-looking, 7+ characters), most of them answered NXDOMAIN: a bot
-- cycling through its algorithm's candidates until one resolves. Names under
-- {{skip_domains}} (CDN and cloud names whose registered label is random by design, as
-- d111111abcdef8.cloudfront.net), names on a trusted list and internationalised labels
-- (xn--) are left out. The model runs once per distinct label.
WITH domains AS (  -- the distinct registered domains (few, against millions of queries)
    SELECT registered_domain, split_part(registered_domain, '.', 1) AS label FROM (
        SELECT DISTINCT registered_domain FROM dns_logs
        WHERE query_ts >= {{since}} AND query_ts < {{until}}
          AND date BETWEEN {{since_date}} AND {{until_date}}
    )
    WHERE length(split_part(registered_domain, '.', 1)) >= 7
      AND NOT starts_with(registered_domain, 'xn--')
),
flagged AS (
    SELECT registered_domain FROM domains d
    WHERE dga_flagged(label)
      AND registered_domain NOT IN (
          SELECT s.registered_domain
          FROM (SELECT registered_domain, unnest(dns_suffixes(registered_domain)) AS suffix
                FROM domains) s
          LEFT JOIN domain_list t ON t.domain = s.suffix AND t.kind = 'trusted'
          WHERE s.suffix IN {{skip_domains}} OR t.domain IS NOT NULL)
),
hits AS (
    SELECT d.query_ts, d.query_timestamp, d.query_name, d.account_id, d.region, d.rcode,
        d.registered_domain, coalesce(d.srcids.instance, d.srcaddr) AS instance
    FROM dns_logs d JOIN flagged f ON f.registered_domain = d.registered_domain
    WHERE d.query_ts >= {{since}} AND d.query_ts < {{until}}
      AND d.date BETWEEN {{since_date}} AND {{until_date}}
)
SELECT
    to_timestamp(floor(epoch(query_ts) / ({{window_minutes}} * 60)) * ({{window_minutes}} * 60))
        AS window_start,
    account_id AS account,
    min(region) AS region,
    instance,
    min(query_ts) AS first_seen,
    max(query_ts) AS last_seen,
    count(*) AS hits,
    instance AS actor,
    instance || ' asked for ' || CAST(count(DISTINCT registered_domain) AS VARCHAR)
        || ' generated-looking domains, '
        || CAST(count(DISTINCT registered_domain) FILTER (WHERE rcode = 'NXDOMAIN') AS VARCHAR)
        || ' of them NXDOMAIN, e.g. ' || min(registered_domain) AS summary,
    list(query_timestamp || ' ' || query_name) AS evidence
FROM hits
GROUP BY 1, 2, 4
HAVING count(DISTINCT registered_domain) >= {{min_domains}}
   AND count(DISTINCT registered_domain) FILTER (WHERE rcode = 'NXDOMAIN')
       >= {{min_nxdomain_share}} * count(DISTINCT registered_domain)
