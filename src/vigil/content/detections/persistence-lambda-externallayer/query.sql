-- A function given a layer published by an account outside the organization: CreateFunction
-- or UpdateFunctionConfiguration (Lambda writes them with an API version, e.g.
-- CreateFunction20150331, UpdateFunctionConfiguration20150331v2) whose layers hold an ARN
-- arn:aws:lambda:REGION:ACCOUNT:layer:NAME:VERSION of an account that is neither the
-- function's, one of the organization's, nor one of {{aws_layer_accounts}} (the accounts AWS
-- publishes its own layers from: Lambda Insights, Parameters and Secrets, AppConfig, ADOT,
-- Powertools; add trusted vendors' accounts there).
WITH layered AS (
    SELECT
        event_ts,
        eventid,
        eventname,
        recipientaccountid AS account,
        awsregion AS region,
        ct_actor(useridentity) AS who,
        json_extract_string(requestparameters, '$.functionName') AS function_name,
        unnest(json_extract_string(requestparameters, '$.layers[*]')) AS layer_arn
    FROM cloudtrail
    WHERE event_ts >= {{since}} AND event_ts < {{until}}
      AND date BETWEEN {{since_date}} AND {{until_date}}
      AND eventsource = 'lambda.amazonaws.com'
      AND regexp_matches(eventname, '^(CreateFunction|UpdateFunctionConfiguration)([0-9]{8}.*)?$')
      AND errorcode IS NULL
      AND NOT ct_by_aws(useridentity, sourceipaddress)
),
external AS (
    SELECT *,
        nullif(regexp_extract(layer_arn, '^arn:aws[a-z-]*:lambda:[a-z0-9-]+:([0-9]{12}):layer:', 1), '')
            AS layer_account
    FROM layered
)
SELECT
    date_trunc('hour', event_ts) AS window_start,
    account,
    min(region) AS region,
    function_name,
    layer_account,
    min(event_ts) AS first_seen,
    max(event_ts) AS last_seen,
    count(DISTINCT eventid) AS hits,
    max(who) AS actor,
    coalesce(max(who), 'someone') || ' gave Lambda function ' || function_name
        || ' a layer from account ' || layer_account || ', outside the organization: '
        || string_agg(DISTINCT layer_arn, ', ') AS summary,
    list(DISTINCT eventid) AS evidence
FROM external
WHERE layer_account IS NOT NULL
  AND layer_account <> account
  AND layer_account NOT IN (SELECT account_id FROM org_accounts)
  AND layer_account NOT IN {{aws_layer_accounts}}
GROUP BY 1, 2, 4, 5
