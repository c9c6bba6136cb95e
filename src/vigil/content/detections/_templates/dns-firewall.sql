-- Queries Route 53 Resolver DNS Firewall acted on with {{action}} (BLOCK or ALERT), one
-- finding per instance, firewall domain list and window. The rule's own domain list says
-- why; the finding says which instance asked, how often and for what.
SELECT
    to_timestamp(floor(epoch(query_ts) / ({{window_minutes}} * 60)) * ({{window_minutes}} * 60))
        AS window_start,
    account_id AS account,
    min(region) AS region,
    coalesce(srcids.instance, srcaddr) AS instance,
    coalesce(firewall_domain_list_id, 'none') AS domain_list,
    min(query_ts) AS first_seen,
    max(query_ts) AS last_seen,
    count(*) AS hits,
    coalesce(srcids.instance, srcaddr) AS actor,
    'DNS Firewall ' || {{action}} || ' (rule group ' || coalesce(min(firewall_rule_group_id), '?')
        || ', domain list ' || coalesce(firewall_domain_list_id, 'none') || '): '
        || CAST(count(*) AS VARCHAR) || ' queries from ' || coalesce(srcids.instance, srcaddr)
        || ' for ' || CAST(count(DISTINCT rtrim(lower(query_name), '.')) AS VARCHAR)
        || ' name(s), e.g. ' || min(rtrim(lower(query_name), '.')) AS summary,
    list(query_timestamp || ' ' || query_name) AS evidence
FROM dns_logs
WHERE query_ts >= {{since}} AND query_ts < {{until}}
  AND date BETWEEN {{since_date}} AND {{until_date}}
  AND firewall_rule_action = {{action}}
GROUP BY 1, 2, 4, 5
