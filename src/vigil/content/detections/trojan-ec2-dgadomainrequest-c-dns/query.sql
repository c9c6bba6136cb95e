-- A registered domain whose label the DGA model flags (dga_flagged) that resolved: NOERROR
-- with at least one answer. A bot's generated candidates mostly fail; the one that answers is
-- the live command server. Names under {{skip_domains}} (CDN and cloud names whose
-- registered label is random by design), names on a trusted list and internationalised
-- labels (xn--) are left out, and so are domains more than {{max_instances}} instances resolved
-- in the run's range (a popular service the model misjudges). The model runs once per
-- distinct label.
WITH domains AS (  -- the distinct registered domains (few, against millions of queries)
    SELECT registered_domain, split_part(registered_domain, '.', 1) AS label FROM (
        SELECT DISTINCT registered_domain FROM dns_logs
        WHERE query_ts >= {{since}} AND query_ts < {{until}}
          AND date BETWEEN {{since_date}} AND {{until_date}} AND rcode = 'NOERROR'
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
answered AS (
    SELECT d.query_ts, d.query_timestamp, d.query_name, d.query_type, d.account_id, d.region,
        d.registered_domain, coalesce(d.srcids.instance, d.srcaddr) AS instance
    FROM dns_logs d JOIN flagged f ON f.registered_domain = d.registered_domain
    WHERE d.query_ts >= {{since}} AND d.query_ts < {{until}}
      AND d.date BETWEEN {{since_date}} AND {{until_date}}
      AND d.rcode = 'NOERROR' AND array_length(d.answers) > 0
),
-- a domain many instances resolve is a popular service the model misjudges, not a bot's
hits AS (
    SELECT * FROM answered WHERE registered_domain NOT IN (
        SELECT registered_domain FROM answered GROUP BY registered_domain
        HAVING count(DISTINCT instance) > {{max_instances}})
)
SELECT
    to_timestamp(floor(epoch(query_ts) / ({{window_minutes}} * 60)) * ({{window_minutes}} * 60))
        AS window_start,
    account_id AS account,
    min(region) AS region,
    instance,
    registered_domain AS domain,
    min(query_ts) AS first_seen,
    max(query_ts) AS last_seen,
    count(*) AS hits,
    instance AS actor,
    instance || ' resolved the generated-looking domain ' || registered_domain
        || ' (' || CAST(count(*) AS VARCHAR) || ' answered queries, e.g. ' || min(query_type)
        || ' ' || min(query_name) || ')' AS summary,
    list(query_timestamp || ' ' || query_name) AS evidence
FROM hits
GROUP BY 1, 2, 4, 5
