-- An MFA device taken off a user (DeactivateMFADevice) or a virtual MFA device deleted
-- (DeleteVirtualMFADevice). `scope` says whose: "another user" when the caller is not the
-- user (an administrator, a role, root acting on an IAM user), "own" otherwise. A
-- DeleteVirtualMFADevice call names only the device (arn:aws:iam::ACCOUNT:mfa/NAME): its name,
-- usually the user's, is the target.
WITH removals AS (
    SELECT
        *,
        json_extract_string(requestparameters, '$.userName') AS named_user,
        json_extract_string(requestparameters, '$.serialNumber') AS serial
    FROM cloudtrail
    WHERE event_ts >= {{since}} AND event_ts < {{until}}
      AND date BETWEEN {{since_date}} AND {{until_date}}
      AND eventsource = 'iam.amazonaws.com'
      AND eventname IN ('DeactivateMFADevice', 'DeleteVirtualMFADevice')
      AND errorcode IS NULL
      AND coalesce(useridentity.type, '') <> 'AWSService'
      AND NOT contains(coalesce(ct_actor(useridentity), ''), ':role/aws-service-role/')
),
labelled AS (
    SELECT
        *,
        ct_actor(useridentity) AS removed_by,
        CASE
            WHEN named_user IS NOT NULL THEN named_user
            WHEN eventname = 'DeactivateMFADevice' AND useridentity.type = 'Root' THEN 'root'
            WHEN eventname = 'DeactivateMFADevice' AND useridentity.username IS NOT NULL
                THEN useridentity.username
            ELSE coalesce(nullif(regexp_extract(coalesce(serial, ''), '/([^/]+)$', 1), ''), serial)
        END AS target,
        CASE
            -- without a user name DeactivateMFADevice acts on the caller's own device
            WHEN eventname = 'DeactivateMFADevice' AND named_user IS NULL THEN 'own'
            WHEN eventname = 'DeactivateMFADevice'
                THEN CASE WHEN useridentity.type = 'IAMUser'
                          AND named_user = coalesce(useridentity.username, '') THEN 'own'
                          ELSE 'another user' END
            WHEN useridentity.type = 'IAMUser' AND useridentity.username IS NOT NULL
                 AND ends_with(coalesce(serial, ''), '/' || useridentity.username) THEN 'own'
            WHEN useridentity.type = 'Root'
                 AND ends_with(coalesce(serial, ''), ':mfa/root-account-mfa-device') THEN 'own'
            ELSE 'another user'
        END AS scope
    FROM removals
)
SELECT
    date_trunc('hour', event_ts) AS window_start,
    recipientaccountid AS account,
    awsregion AS region,
    target,
    removed_by,
    scope,
    min(event_ts) AS first_seen,
    max(event_ts) AS last_seen,
    count(*) AS hits,
    max(useridentity.arn) AS actor,
    coalesce(max(useridentity.arn), removed_by) || ' removed the MFA device of '
        || CASE WHEN scope = 'own' THEN 'its own user ' ELSE 'another user, ' END || target
        || ' (' || array_to_string(list_sort(list(DISTINCT eventname)), ', ') || ')' AS summary,
    list(eventid) AS evidence
FROM labelled
GROUP BY 1, 2, 3, 4, 5, 6
