-- A successful PutObject whose file name (the key's last segment, lower-cased) reads like a
-- ransom note: "ransom"; "decrypt" (not about secrets, keys or configuration); your files or
-- data; files or data encrypted, locked, stolen, leaked; recover, restore, unlock, get
-- back (your) files; a read-me with decrypt, ransom, files, recover, restore, warning,
-- attention or exclamation marks; "been hacked". A note is text: .txt, .htm(l), .md, .hta,
-- .rtf, or no extension. A plain README, a recovery plan in a PDF or "restore-instructions"
-- are not notes. The note weighs {{severity_note_alone}} alone, the unit's own severity when
-- the same principal deleted or overwrote at least {{min_prior}} objects of the same bucket in
-- the {{lookback_minutes}} minutes before it (DeleteObject, DeleteObjects counted as
-- {{batch_weight}}, CopyObject, PutObject with a customer-provided key: SSE-C). One finding per
-- principal, bucket and hour. AWS acting for the account and refused calls are not counted.
WITH writes AS (
    SELECT
        event_ts,
        eventid,
        eventname,
        recipientaccountid AS account,
        awsregion AS region,
        ct_actor(useridentity) AS principal,
        json_extract_string(requestparameters, '$.bucketName') AS bucket,
        json_extract_string(requestparameters, '$.key') AS object_key,
        lower(regexp_extract(coalesce(json_extract_string(requestparameters, '$.key'), ''), '([^/]*)$', 1)) AS file_name,
        (json_extract_string(requestparameters, '$.x-amz-server-side-encryption-customer-algorithm') IS NOT NULL
         OR coalesce(json_extract_string(additionaleventdata, '$.SSEApplied'), '') = 'SSE_C') AS ssec
    FROM cloudtrail
    WHERE event_ts >= {{since}} - INTERVAL {{lookback_minutes}} MINUTE AND event_ts < {{until}}
      AND date BETWEEN CAST({{since}} - INTERVAL {{lookback_minutes}} MINUTE AS DATE) AND {{until_date}}
      AND eventsource = 's3.amazonaws.com'
      AND eventname IN ('PutObject', 'DeleteObject', 'DeleteObjects', 'CopyObject')
      AND errorcode IS NULL
      AND NOT ct_by_aws(useridentity, sourceipaddress)
),
notes AS (
    SELECT *
    FROM writes
    WHERE eventname = 'PutObject'
      AND event_ts >= {{since}}
      AND regexp_matches(file_name, '(\.(txt|html?|md|hta|rtf)$)|^[^.]+$')
      AND (regexp_matches(file_name, 'ransom')
           OR (regexp_matches(file_name, 'decrypt')
               AND NOT regexp_matches(file_name, '(secret|sops|kms|passw|token|config|cert|gpg|pgp|vault|ssh|tls|ssl|jwt)'))
           OR regexp_matches(file_name, 'your[-_. !]*(files|data)')
           OR regexp_matches(file_name, '(files|data)[-_. !]*((are|were|have|has)[-_. !]*)?(been[-_. !]*)?(encrypted|locked|stolen|leaked|hacked)')
           OR regexp_matches(file_name, '(recover|restore|unlock|retrieve|get[-_. !]*back)[-_. !]*(your[-_. !]*(files|data)|files)')
           OR (regexp_matches(file_name, 'read[-_. !]*me')
               AND regexp_matches(file_name, '(decrypt|ransom|files|recover|restore|warning|attention|!)'))
           OR regexp_matches(file_name, '(been|got)[-_. !]*(hacked|pwned|breached)'))
),
prior AS (
    SELECT *,
        CASE WHEN eventname = 'DeleteObjects' THEN {{batch_weight}} ELSE 1 END AS weight
    FROM writes
    WHERE eventname IN ('DeleteObject', 'DeleteObjects', 'CopyObject')
       OR (eventname = 'PutObject' AND ssec)
),
scored AS (
    SELECT
        n.eventid,
        n.event_ts,
        n.account,
        n.region,
        n.principal,
        n.bucket,
        n.object_key,
        coalesce(sum(p.weight), 0) AS n_prior,
        min(p.event_ts) AS prior_first,
        list(p.eventid) FILTER (WHERE p.eventid IS NOT NULL) AS prior_ids
    FROM notes AS n
    LEFT JOIN prior AS p
        ON p.account = n.account AND p.principal = n.principal AND p.bucket = n.bucket
       AND p.event_ts >= n.event_ts - INTERVAL {{lookback_minutes}} MINUTE AND p.event_ts <= n.event_ts
    GROUP BY n.eventid, n.event_ts, n.account, n.region, n.principal, n.bucket, n.object_key
)
SELECT
    date_trunc('hour', event_ts) AS window_start,
    account,
    min(region) AS region,
    principal AS actor,
    bucket,
    least(min(event_ts), coalesce(min(prior_first), min(event_ts))) AS first_seen,
    max(event_ts) AS last_seen,
    count(*) AS hits,
    coalesce(principal, 'someone') || ' uploaded what reads like a ransom note to '
        || coalesce(bucket, 'a bucket') || ': '
        || array_to_string(list_sort(list_distinct(list(object_key))), ', ')
        || CASE WHEN max(n_prior) >= {{min_prior}}
                THEN ', after deleting or overwriting up to ' || CAST(max(n_prior) AS VARCHAR)
                     || ' objects of the bucket in the ' || CAST({{lookback_minutes}} AS VARCHAR)
                     || ' minutes before (DeleteObjects batches counted as '
                     || CAST({{batch_weight}} AS VARCHAR) || ')'
                ELSE ' (no mass deletion or overwrite by the same principal before it)' END AS summary,
    CASE WHEN max(n_prior) >= {{min_prior}} THEN NULL ELSE {{severity_note_alone}} END AS severity,
    list_distinct(list_concat(flatten(list(prior_ids)), list(eventid))) AS evidence
FROM scored
GROUP BY date_trunc('hour', event_ts), account, principal, bucket
