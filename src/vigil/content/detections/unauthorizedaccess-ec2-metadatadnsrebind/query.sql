-- A name answering the instance metadata service's address (169.254.169.254, or
-- fd00:ec2::254 over IPv6; {{imds_answers}}), other than AWS's own names for it
-- (`instance-data`, `instance-data.<anything>`, and `*.internal`): DNS rebinding, a
-- name first answering the attacker's server and then IMDS, so a request the instance makes
-- "to the attacker" reads its credentials. A and AAAA queries only (rebinding needs an
-- address); CNAME chains count (the address is anywhere in the answer list). The queries
-- that got the address are the hits (the same name's answers of the attacker's own address
-- are in the evidence). One pass over the answers, carrying only the columns the finding needs.
WITH answers AS (  -- one pass: each A/AAAA answer with the few columns the finding needs
    SELECT query_ts, query_timestamp, query_name, account_id, region,
        srcids.instance AS src_instance, srcaddr, unnest(answers) AS a
    FROM dns_logs
    WHERE query_ts >= {{since}} AND query_ts < {{until}}
      AND date BETWEEN {{since_date}} AND {{until_date}}
      AND rcode = 'NOERROR' AND query_type IN ('A', 'AAAA')
),
hits AS (
    SELECT query_ts, query_timestamp, query_name, account_id, region,
        coalesce(src_instance, srcaddr) AS instance,
        -- written over the answer so the name tests below run on these few rows, not pushed
        -- down to every query
        CASE WHEN a.Rdata IS NOT NULL THEN dns_name(query_name) END AS name
    FROM answers
    WHERE a.Type IN ('A', 'AAAA') AND lower(a.Rdata) IN {{imds_answers}}
)
SELECT
    to_timestamp(floor(epoch(query_ts) / ({{window_minutes}} * 60)) * ({{window_minutes}} * 60))
        AS window_start,
    account_id AS account,
    min(region) AS region,
    instance,
    name AS domain,
    min(query_ts) AS first_seen,
    max(query_ts) AS last_seen,
    count(*) AS hits,
    instance AS actor,
    name || ' answered the instance metadata address to ' || instance || ' ('
        || CAST(count(*) AS VARCHAR) || ' time(s))' AS summary,
    list(query_timestamp || ' ' || query_name) AS evidence
FROM hits
WHERE name <> 'instance-data' AND NOT starts_with(name, 'instance-data.')
  AND NOT ends_with(name, '.internal')
GROUP BY 1, 2, 4, 5
