"""Labels for measuring the DGA model: names made by a few well-known *kinds* of domain
generation algorithm, written here from their published descriptions (no generated domain
lists are copied), and a hand-written list of benign, service-like labels.

Families (each seeded by a date and a per-family secret, as the real ones are):
- `lcg_letters`: a linear congruential generator stepping through letters, a new length per
  day (the CryptoLocker / Conficker style of random letters, 12-16 characters).
- `md5_letters`: the MD5 of date and counter, each byte mapped to a letter (the Zeus GameOver /
  Murofet style), 12-20 characters.
- `hex_digest`: the first 16-32 hex digits of a SHA-256 of the date and counter (hex DGAs).
- `base36`: random letters and digits from a xorshift generator, 10-18 characters.
- `dictionary`: two or three words from a word list, concatenated (the Suppobox / Matsnu
  style). A character model cannot tell these from legitimate compounds: a known weakness.

Used by tests/intel/test_dga.py and by scripts/build_dga_model.py, which reports the rates.
"""

from __future__ import annotations

import hashlib
import string
from collections.abc import Callable, Sequence
from datetime import date, timedelta

LETTERS = string.ascii_lowercase
ALNUM = string.ascii_lowercase + string.digits


def _days(start: date, count: int) -> list[date]:
    return [start + timedelta(days=n) for n in range(count)]


def lcg_letters(day: date, count: int, secret: int = 0x5DEECE) -> list[str]:
    """Letters from a 32-bit LCG seeded by the date: `x = (a*x + c) mod 2**32`, a letter from
    the high bits of each step, and a length of 12-16 chosen by the first step."""
    x = (day.year * 10000 + day.month * 100 + day.day) ^ secret
    out = []
    for _ in range(count):
        x = (1664525 * x + 1013904223) % 2**32
        length = 12 + (x >> 16) % 5
        label = []
        for _ in range(length):
            x = (1664525 * x + 1013904223) % 2**32
            label.append(LETTERS[(x >> 16) % 26])
        out.append("".join(label))
    return out


def md5_letters(day: date, count: int, secret: str = "gozi") -> list[str]:
    """Each byte of MD5(secret | date | index) gives one letter; length 12-20 from the digest."""
    out = []
    for index in range(count):
        digest = hashlib.md5(f"{secret}|{day.isoformat()}|{index}".encode()).digest()
        length = 12 + digest[0] % 9
        stream = digest + hashlib.md5(digest).digest()
        out.append("".join(LETTERS[b % 26] for b in stream[1 : 1 + length]))
    return out


def hex_digest(day: date, count: int, secret: str = "hexdga") -> list[str]:
    """The first 16-32 hex digits of SHA-256(secret | date | index)."""
    out = []
    for index in range(count):
        digest = hashlib.sha256(f"{secret}|{day.isoformat()}|{index}".encode()).hexdigest()
        out.append(digest[: 16 + int(digest[-2:], 16) % 17])
    return out


def base36(day: date, count: int, secret: int = 0x9E3779B9) -> list[str]:
    """Letters and digits from a 32-bit xorshift generator seeded by the date, 10-18 long."""
    x = (day.toordinal() * 2654435761 ^ secret) % 2**32 or 1

    def step() -> int:
        nonlocal x
        x ^= (x << 13) % 2**32
        x ^= x >> 17
        x ^= (x << 5) % 2**32
        return x

    return ["".join(ALNUM[step() % 36] for _ in range(10 + step() % 9)) for _ in range(count)]


def dictionary(day: date, count: int, words: Sequence[str]) -> list[str]:
    """Two or three words picked by an LCG seeded from the date, joined: pronounceable."""
    x = day.toordinal()
    out = []
    for _ in range(count):
        x = (1103515245 * x + 12345) % 2**31
        parts = []
        for _ in range(2 + x % 2):
            x = (1103515245 * x + 12345) % 2**31
            parts.append(words[(x >> 8) % len(words)])
        out.append("".join(parts))
    return out


RANDOM_FAMILIES: dict[str, Callable[[date, int], list[str]]] = {
    "lcg_letters": lcg_letters,
    "md5_letters": md5_letters,
    "hex_digest": hex_digest,
    "base36": base36,
}


def generated(family: str, days: int = 20, per_day: int = 50) -> list[str]:
    """`days` x `per_day` labels of one random family, from 2026-01-01 on."""
    make = RANDOM_FAMILIES[family]
    return [label for day in _days(date(2026, 1, 1), days) for label in make(day, per_day)]


def dictionary_generated(words: Sequence[str], days: int = 20, per_day: int = 50) -> list[str]:
    return [
        label for day in _days(date(2026, 1, 1), days) for label in dictionary(day, per_day, words)
    ]


# Labels a company's own resolver sees every day: service, host and product names of the kind
# left of a registered domain (written for this list, not taken from any ranking).
BENIGN_SERVICE_LABELS: tuple[str, ...] = tuple(
    """
    api app apps auth login signin accounts account account-api portal console dashboard admin
    mail smtp imap pop webmail mx mx1 mx2 autodiscover calendar contacts drive docs sheets
    update updates download downloads static assets media images img cdn cdn1 edge origin
    cache proxy gateway vpn sso identity idp oauth token tokens secure security status health
    metrics telemetry logs logging events analytics tracking collector ingest pipeline stream
    streaming video music player search maps news weather shop store checkout cart payments
    billing invoice support help helpdesk community forum blog wiki learn training careers
    jobs partners developer developers devportal sandbox staging preprod production prod test
    qa dev beta alpha canary preview demo internal intranet extranet corp office workspace
    teams chat meet zoom voice phone sip conference share files backup backups storage bucket
    buckets archive registry packages repo repository mirror mirrors artifacts builds build
    deploy release releases ci jenkins gitlab github bitbucket jira confluence grafana kibana
    prometheus elastic opensearch kafka rabbitmq redis postgres mysql database db db01 db02
    web web01 web02 www www2 ftp sftp ssh bastion jumpbox monitor monitoring alerts alerting
    notify notifications push messaging sms email newsletter marketing promo offers rewards
    loyalty members membership profile profiles social photos gallery upload uploads
    feedback survey surveys booking reservations travel flights hotels cars rentals insurance
    bank banking finance investor investors press about contact legal privacy terms compliance
    ntp time dns resolver ns1 ns2 ns3 directory ldap kerberos radius firewall waf shield
    guardduty cloudfront cloudwatch cloudtrail lambda sqs sns dynamodb kinesis route53
    elasticbeanstalk amazonaws awsapps microsoftonline windowsupdate office365 outlook onedrive
    sharepoint googleapis gstatic googleusercontent akamaiedge akamaized fastly cloudflare
    azureedge trafficmanager digicert letsencrypt sectigo globalsign ocsp crl timestamp
    telemetry-service data-api user-service order-service inventory catalog recommendations
    personalization experiments featureflags config configuration settings license licensing
    activation patch hotfix firmware device devices iot fleet agents agent sensor sensors
    """.split()  # noqa: SIM905 (a block of words reads better than 300 quoted strings)
)
