"""MITRE ATT&CK tactics as units name them (v19), and how exports name them for tools that still
read v18: v19 replaces Defense Evasion by two tactics, Stealth (staying unseen) and Defense
Impairment (turning defenses off)."""

from __future__ import annotations

from typing import Final, NamedTuple


class Tactic(NamedTuple):
    name: str  # v19
    uid: str | None  # the ATT&CK id where this project knows it
    v18: str  # the v18 tactic it was part of
    v18_uid: str


TACTICS: Final[dict[str, Tactic]] = {
    "reconnaissance": Tactic("Reconnaissance", "TA0043", "Reconnaissance", "TA0043"),
    "resource-development": Tactic(
        "Resource Development", "TA0042", "Resource Development", "TA0042"
    ),
    "initial-access": Tactic("Initial Access", "TA0001", "Initial Access", "TA0001"),
    "execution": Tactic("Execution", "TA0002", "Execution", "TA0002"),
    "persistence": Tactic("Persistence", "TA0003", "Persistence", "TA0003"),
    "privilege-escalation": Tactic(
        "Privilege Escalation", "TA0004", "Privilege Escalation", "TA0004"
    ),
    "stealth": Tactic("Stealth", None, "Defense Evasion", "TA0005"),
    "defense-impairment": Tactic("Defense Impairment", None, "Defense Evasion", "TA0005"),
    "credential-access": Tactic("Credential Access", "TA0006", "Credential Access", "TA0006"),
    "discovery": Tactic("Discovery", "TA0007", "Discovery", "TA0007"),
    "lateral-movement": Tactic("Lateral Movement", "TA0008", "Lateral Movement", "TA0008"),
    "collection": Tactic("Collection", "TA0009", "Collection", "TA0009"),
    "command-and-control": Tactic("Command and Control", "TA0011", "Command and Control", "TA0011"),
    "exfiltration": Tactic("Exfiltration", "TA0010", "Exfiltration", "TA0010"),
    "impact": Tactic("Impact", "TA0040", "Impact", "TA0040"),
}


def v18_names(tactics: list[str]) -> list[str]:
    """The v18 names of v19 tactics, each once, in order."""
    return list(dict.fromkeys(TACTICS[t].v18 for t in tactics if t in TACTICS))
