-- A notebook (or Studio) lifecycle configuration created or rewritten, or attached to a
-- notebook instance at creation or update: its shell script runs as root on the notebook at
-- every start, with the notebook's execution role.
WITH changes AS (
    SELECT
        event_ts,
        eventid,
        eventname,
        recipientaccountid AS account,
        awsregion AS region,
        ct_actor(useridentity) AS principal,
        coalesce(json_extract_string(requestparameters, '$.notebookInstanceLifecycleConfigName'),
                 json_extract_string(requestparameters, '$.lifecycleConfigName'),
                 json_extract_string(requestparameters, '$.studioLifecycleConfigName')) AS lifecycle_config,
        json_extract_string(requestparameters, '$.notebookInstanceName') AS notebook
    FROM cloudtrail
    WHERE event_ts >= {{since}} AND event_ts < {{until}}
      AND date BETWEEN {{since_date}} AND {{until_date}}
      AND eventsource = 'sagemaker.amazonaws.com'
      AND errorcode IS NULL
      AND NOT ct_by_aws(useridentity, sourceipaddress)
      AND (
          eventname IN ('CreateNotebookInstanceLifecycleConfig',
                        'UpdateNotebookInstanceLifecycleConfig',
                        'CreateStudioLifecycleConfig')
          OR (eventname IN ('CreateNotebookInstance', 'UpdateNotebookInstance')
              AND json_extract_string(requestparameters, '$.lifecycleConfigName') IS NOT NULL)
      )
)
SELECT
    date_trunc('hour', event_ts) AS window_start,
    account,
    region,
    lifecycle_config,
    principal AS actor,
    min(event_ts) AS first_seen,
    max(event_ts) AS last_seen,
    count(*) AS hits,
    coalesce(principal, 'someone') || ' called ' || array_to_string(list_sort(list_distinct(list(eventname))), ', ')
        || ' for lifecycle configuration ' || lifecycle_config
        || coalesce(' (notebook ' || max(notebook) || ')', '') AS summary,
    list(eventid ORDER BY event_ts) AS evidence
FROM changes
WHERE lifecycle_config IS NOT NULL
GROUP BY 1, 2, 3, 4, 5
