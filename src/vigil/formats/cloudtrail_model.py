"""Typed CloudTrail record shapes (spec §2.2-2.3) for msgspec, and their lake columns.

Variable-shape parts (requestParameters, responseElements, additionalEventData, …) are kept as
raw JSON text, as Athena's CloudTrail table does; everything else is decoded into types.
Attribute names are the JSON keys, so the schema below is the one place that names them.
"""

from __future__ import annotations

from typing import Any, Final

import msgspec
import pyarrow as pa

Str = str | None
Flag = bool | str | None  # some producers write booleans as strings


class SessionIssuer(msgspec.Struct, omit_defaults=True, gc=False):
    type: Str = None
    principalId: Str = None
    arn: Str = None
    accountId: Str = None
    userName: Str = None


class SessionAttributes(msgspec.Struct, omit_defaults=True, gc=False):
    mfaAuthenticated: Flag = None
    creationDate: Str = None


class WebIdFederation(msgspec.Struct, omit_defaults=True, gc=False):
    federatedProvider: Str = None
    attributes: dict[str, Any] | None = None


class SessionContext(msgspec.Struct, omit_defaults=True, gc=False):
    attributes: SessionAttributes | None = None
    sessionIssuer: SessionIssuer | None = None
    ec2RoleDelivery: Str = None
    sourceIdentity: Str = None
    webIdFederationData: WebIdFederation | None = None


class OnBehalfOf(msgspec.Struct, omit_defaults=True, gc=False):
    userId: Str = None
    identityStoreArn: Str = None


class UserIdentity(msgspec.Struct, omit_defaults=True, gc=False):
    type: Str = None
    principalId: Str = None
    arn: Str = None
    accountId: Str = None
    invokedBy: Str = None
    accessKeyId: Str = None
    userName: Str = None
    onBehalfOf: OnBehalfOf | None = None
    sessionContext: SessionContext | None = None
    identityProvider: Str = None


class Resource(msgspec.Struct, omit_defaults=True, gc=False):
    ARN: Str = None
    accountId: Str = None
    type: Str = None


class TlsDetails(msgspec.Struct, omit_defaults=True, gc=False):
    tlsVersion: Str = None
    cipherSuite: Str = None
    clientProvidedHostHeader: Str = None


class Addendum(msgspec.Struct, omit_defaults=True, gc=False):
    reason: Str = None
    updatedFields: Str = None
    originalRequestID: Str = None
    originalEventID: Str = None


_NULL_RAW: Final = msgspec.Raw(b"null")


class Record(msgspec.Struct, gc=False):
    eventVersion: Str = None
    userIdentity: UserIdentity | None = None
    eventTime: Str = None
    # Logstash's and Elastic's CloudTrail exports move eventTime to @timestamp
    atTimestamp: Str = msgspec.field(default=None, name="@timestamp")
    eventSource: Str = None
    eventName: Str = None
    awsRegion: Str = None
    sourceIPAddress: Str = None
    userAgent: Str = None
    errorCode: Str = None
    errorMessage: Str = None
    requestParameters: msgspec.Raw = _NULL_RAW
    responseElements: msgspec.Raw = _NULL_RAW
    additionalEventData: msgspec.Raw = _NULL_RAW
    requestID: Str = None
    eventID: Str = None
    resources: list[Resource] | None = None
    eventType: Str = None
    apiVersion: Str = None
    readOnly: Flag = None
    recipientAccountId: Str = None
    serviceEventDetails: msgspec.Raw = _NULL_RAW
    sharedEventID: Str = None
    vpcEndpointId: Str = None
    vpcEndpointAccountId: Str = None
    eventCategory: Str = None
    addendum: Addendum | None = None
    sessionCredentialFromConsole: Flag = None
    edgeDeviceDetails: msgspec.Raw = _NULL_RAW
    tlsDetails: TlsDetails | None = None
    managementEvent: Flag = None
    insightDetails: msgspec.Raw = _NULL_RAW


class LogFile(msgspec.Struct, gc=False):
    Records: list[Record]


class RawLogFile(msgspec.Struct, gc=False):
    Records: list[msgspec.Raw]


S = pa.string()
B = pa.bool_()


def _struct(*fields: tuple[str, pa.DataType]) -> pa.StructType:
    return pa.struct([pa.field(name, typ) for name, typ in fields])


SESSION_ISSUER_T: Final = _struct(
    ("type", S), ("principalid", S), ("arn", S), ("accountid", S), ("username", S)
)
SESSION_CONTEXT_T: Final = _struct(
    ("attributes", _struct(("mfaauthenticated", S), ("creationdate", S))),
    ("sessionissuer", SESSION_ISSUER_T),
    ("ec2roledelivery", S),
    ("sourceidentity", S),
    (
        "webidfederationdata",
        _struct(("federatedprovider", S), ("attributes", pa.map_(S, S))),
    ),
)
USER_IDENTITY_T: Final = _struct(
    ("type", S),
    ("principalid", S),
    ("arn", S),
    ("accountid", S),
    ("invokedby", S),
    ("accesskeyid", S),
    ("username", S),
    ("onbehalfof", _struct(("userid", S), ("identitystorearn", S))),
    ("sessioncontext", SESSION_CONTEXT_T),
    ("identityprovider", S),
)
RESOURCES_T: Final = pa.list_(_struct(("arn", S), ("accountid", S), ("type", S)))
ADDENDUM_T: Final = _struct(
    ("reason", S), ("updatedfields", S), ("originalrequestid", S), ("originaleventid", S)
)
TLS_T: Final = _struct(("tlsversion", S), ("ciphersuite", S), ("clientprovidedhostheader", S))

# Column → (record attribute, Arrow type), in Athena's order; derived columns come after.
COLUMNS: Final[tuple[tuple[str, str, pa.DataType], ...]] = (
    ("eventversion", "eventVersion", S),
    ("useridentity", "userIdentity", USER_IDENTITY_T),
    ("eventtime", "eventTime", S),
    ("eventsource", "eventSource", S),
    ("eventname", "eventName", S),
    ("awsregion", "awsRegion", S),
    ("sourceipaddress", "sourceIPAddress", S),
    ("useragent", "userAgent", S),
    ("errorcode", "errorCode", S),
    ("errormessage", "errorMessage", S),
    ("requestparameters", "requestParameters", S),
    ("responseelements", "responseElements", S),
    ("additionaleventdata", "additionalEventData", S),
    ("requestid", "requestID", S),
    ("eventid", "eventID", S),
    ("resources", "resources", RESOURCES_T),
    ("eventtype", "eventType", S),
    ("apiversion", "apiVersion", S),
    ("readonly", "readOnly", B),
    ("recipientaccountid", "recipientAccountId", S),
    ("serviceeventdetails", "serviceEventDetails", S),
    ("sharedeventid", "sharedEventID", S),
    ("vpcendpointid", "vpcEndpointId", S),
    ("vpcendpointaccountid", "vpcEndpointAccountId", S),
    ("eventcategory", "eventCategory", S),
    ("addendum", "addendum", ADDENDUM_T),
    ("sessioncredentialfromconsole", "sessionCredentialFromConsole", S),
    ("edgedevicedetails", "edgeDeviceDetails", S),
    ("tlsdetails", "tlsDetails", TLS_T),
    ("managementevent", "managementEvent", B),
    ("insightdetails", "insightDetails", S),
)
EVENT_TS: Final = "event_ts"


def lake_schema() -> pa.Schema:
    fields = [pa.field(col, typ) for col, _, typ in COLUMNS]
    fields.append(pa.field(EVENT_TS, pa.timestamp("ms", tz="UTC")))
    return pa.schema(fields)
