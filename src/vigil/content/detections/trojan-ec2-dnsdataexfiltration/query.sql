-- Many distinct names with a long, high-entropy leftmost label under one registered domain,
-- from one instance in a window: data written into DNS questions (hex, base32, base64
-- chunks), answered by the domain's own name server. Names under {{skip_domains}} (AWS and
-- CDN names carry long random labels of their own) and names on a trusted list are left out.
-- The cheap tests (length) run over every query; entropy and suffixes over distinct labels.
WITH q AS (
    SELECT query_ts, query_timestamp, query_name, account_id, region, registered_domain,
        dns_name(query_name) AS name,
        coalesce(srcids.instance, srcaddr) AS instance
    FROM dns_logs
    WHERE query_ts >= {{since}} AND query_ts < {{until}}
      AND date BETWEEN {{since_date}} AND {{until_date}}
      AND registered_domain IS NOT NULL
      AND length(query_name) >= length(registered_domain) + {{min_label_length}}
),
long AS (
    SELECT *, split_part(name, '.', 1) AS label FROM q
    WHERE name <> registered_domain AND length(split_part(name, '.', 1)) >= {{min_label_length}}
),
names AS (SELECT DISTINCT name FROM long),
skipped AS (
    SELECT DISTINCT n.name
    FROM (SELECT name, unnest(dns_suffixes(name)) AS suffix FROM names) n
    LEFT JOIN domain_list d ON d.domain = n.suffix AND d.kind = 'trusted'
    WHERE n.suffix IN {{skip_domains}} OR d.domain IS NOT NULL
),
labels AS (
    SELECT label FROM (SELECT DISTINCT label FROM long)
    WHERE label_entropy(label) >= {{min_entropy}}
),
hits AS (
    SELECT l.* FROM long l JOIN labels USING (label)
    WHERE l.name NOT IN (SELECT name FROM skipped)
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
    instance || ' sent ' || CAST(count(DISTINCT name) AS VARCHAR)
        || ' distinct names with long high-entropy labels under ' || registered_domain
        || ' (' || CAST(sum(length(label)) AS VARCHAR) || ' characters of labels), e.g. '
        || min(name) AS summary,
    list(query_timestamp || ' ' || query_name) AS evidence
FROM hits
GROUP BY 1, 2, 4, 5
HAVING count(DISTINCT name) >= {{min_names}}
