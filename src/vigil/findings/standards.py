"""Security Hub control findings, one per control and resource: which control a document is
about and under which standard it came. Security Hub sends a control's result either once per
standard (GeneratorId `ruleset/cis-aws-foundations-benchmark/v/1.2.0/rule/2.1`,
`aws-foundational-security-best-practices/v/1.0.0/EC2.2`, ProductFields StandardsArn /
StandardsGuideArn / ControlId / RuleId) or consolidated (`security-control/EC2.2`,
Compliance.SecurityControlId and AssociatedStandards). Both are read to the consolidated
SecurityControlId so the hub keeps one finding per control and resource.

Where a per-standard document does not say its SecurityControlId, the standards whose control
ids are the consolidated ones (FSBP, NIST SP 800-53) give it directly, and CIS control numbers
are looked up in CIS_CONTROLS: a hand-written table covering the controls Vigil's own posture
checks know (content/checks/*/check.yaml `controls:`). Any other per-standard control (PCI DSS,
CIS numbers not in the table) stays one finding per standard."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Final

FSBP: Final = "standards/aws-foundational-security-best-practices/v/1.0.0"
CIS_1_2: Final = "ruleset/cis-aws-foundations-benchmark/v/1.2.0"
CIS_1_4: Final = "standards/cis-aws-foundations-benchmark/v/1.4.0"
CIS_3_0: Final = "standards/cis-aws-foundations-benchmark/v/3.0.0"
# check.yaml `controls:` keys that name a CIS control, and the standard each one is
CHECK_STANDARDS: Final = {"cis_1_4": CIS_1_4, "cis_3_0": CIS_3_0}
# standards whose own control ids are Security Hub's consolidated SecurityControlIds
SAME_IDS: Final = ("aws-foundational-security-best-practices", "nist-800-53",
                   "aws-resource-tagging-standard")  # fmt: skip

_CLOUDWATCH: Final = {f"4.{n}": f"CloudWatch.{n}" for n in range(4, 15)}
CIS_CONTROLS: Final[dict[str, dict[str, str]]] = {
    # CIS v1.2.0 (Security Hub's "rule/<n>" ids): section 2 logging, section 3 monitoring
    CIS_1_2: {
        "1.1": "CloudWatch.1", "2.1": "CloudTrail.1", "2.2": "CloudTrail.4",
        "2.3": "CloudTrail.6", "2.4": "CloudTrail.5", "2.6": "CloudTrail.7",
        "2.7": "CloudTrail.2", "2.9": "EC2.6", "3.1": "CloudWatch.2", "3.2": "CloudWatch.3",
        "3.3": "CloudWatch.1",
        **{f"3.{n}": f"CloudWatch.{n}" for n in range(4, 15)},
    },
    # CIS v1.4.0 and v3.0.0 as Vigil's checks map them; of the numbers two checks share, 3.1
    # is CloudTrail.1 (a trail in every Region) and v3.0.0's 3.4 is left out
    CIS_1_4: {
        "3.1": "CloudTrail.1", "3.2": "CloudTrail.4", "3.3": "CloudTrail.6",
        "3.4": "CloudTrail.5", "3.6": "CloudTrail.7", "3.7": "CloudTrail.2", "3.9": "EC2.6",
        "4.1": "CloudWatch.2", "4.2": "CloudWatch.3", "4.3": "CloudWatch.1", **_CLOUDWATCH,
    },
    CIS_3_0: {
        "3.1": "CloudTrail.1", "3.2": "CloudTrail.4", "3.3": "CloudTrail.6",
        "3.5": "CloudTrail.2", "3.7": "EC2.6", "4.1": "CloudWatch.2", "4.2": "CloudWatch.3",
        "4.3": "CloudWatch.1", **_CLOUDWATCH,
    },
}  # fmt: skip

_ARN: Final = re.compile(r"^arn:[^:]+:securityhub:[^:]*:[^:]*:")
_PER_STANDARD: Final = re.compile(
    r"^(?:(?P<kind>ruleset|standards)/)?(?P<name>[a-z0-9-]+)/v/(?P<version>[0-9.]+)/"
    r"(?P<rule>rule/)?(?P<control>[^/]+)$"
)


@dataclass(frozen=True)
class ControlRef:
    """What a control finding is about: the consolidated SecurityControlId ("" when it cannot
    be known), the StandardsId it came under ("" when consolidated), and every standard the
    document names."""

    control: str
    standard: str
    standards: tuple[str, ...]


def control_of(doc: dict[str, Any]) -> ControlRef | None:
    """The control an ASFF document reports on, or None when it is not a control finding."""
    compliance = doc.get("Compliance") if isinstance(doc.get("Compliance"), dict) else {}
    assert isinstance(compliance, dict)
    named = _associated(compliance)
    control = str(compliance.get("SecurityControlId") or "")
    generator = _ARN.sub("", str(doc.get("GeneratorId") or ""))
    if generator.startswith("security-control/"):
        control = control or generator.removeprefix("security-control/")
        return ControlRef(control, "", named)
    fields = doc.get("ProductFields") if isinstance(doc.get("ProductFields"), dict) else {}
    assert isinstance(fields, dict)
    standard, own = _per_standard(generator, fields)
    if not standard and not control:
        return None if not compliance else ControlRef("", "", named)
    if not control and own:
        control = _consolidated(standard, own)
    every = tuple(dict.fromkeys([*named, *([standard] if standard else [])]))
    return ControlRef(control, standard, every)


def check_standards(controls: dict[str, Any]) -> list[str]:
    """The standards a Vigil posture check is in (its check.yaml `controls:`), as StandardsIds;
    a check with a Security Hub control is in FSBP only when Security Hub says so, which the
    check does not, so only the CIS versions it names are listed."""
    return [std for key, std in CHECK_STANDARDS.items() if controls.get(key)]


def _associated(compliance: dict[str, Any]) -> tuple[str, ...]:
    out = []
    for item in compliance.get("AssociatedStandards") or []:
        if isinstance(item, dict) and item.get("StandardsId"):
            out.append(_ARN.sub("", str(item["StandardsId"])))
    return tuple(out)


def _per_standard(generator: str, fields: dict[str, Any]) -> tuple[str, str]:
    """(StandardsId, the standard's own control id) of a per-standard document, or ("", "")."""
    arn = str(fields.get("StandardsArn") or fields.get("StandardsGuideArn") or "")
    standard = _ARN.sub("", arn)
    own = str(fields.get("ControlId") or fields.get("RuleId") or "")
    found = _PER_STANDARD.match(generator)
    if found:
        kind = found["kind"] or ("ruleset" if found["rule"] else "standards")
        standard = standard or f"{kind}/{found['name']}/v/{found['version']}"
        own = own or found["control"]
    return (standard, own) if standard else ("", "")


def _consolidated(standard: str, own: str) -> str:
    """The SecurityControlId of a standard's control id, or "" when it is not known."""
    name = standard.split("/")[1] if standard.count("/") >= 3 else ""
    if name in SAME_IDS:
        return own
    return CIS_CONTROLS.get(standard, {}).get(own, "")
