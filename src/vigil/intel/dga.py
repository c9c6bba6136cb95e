"""A character model of domain labels, for telling generated names (DGA) from chosen ones.

The model (`content/intel/dga_model.json`, built by scripts/build_dga_model.py from wordfreq's
English word lists, CC BY-SA 4.0: see content/intel/DGA_MODEL.md) holds character trigrams
and their log-probabilities. A label is scored as the mean log-probability of its trigrams,
padded `^label$` and lower-cased; a trigram not in the model scores `floor`. Chosen names
(`login`, `cloudfront`, `my-app`) score about -2 to -3.5; random letters and hex digits
fall well below the model's threshold (near -4).

In SQL, `register(engine)` loads the table `dga_ngrams(gram, logp)` and defines the macro
`dga_score(label)`, the same score (NULL for NULL or ''), and `dga_flagged(label)`: the label
has at least the model's `min_length` characters (shorter ones are too few trigrams to judge)
and scores below its threshold. Detections pick the label: the one left of the registered
domain (`xjkq8z0p1a` in `xjkq8z0p1a.com.`). The macro `label_entropy(s)` (bits per character,
in the engine's macros) is the measure for DNS exfiltration: long labels of encoded data.

For engines without correlated subqueries (Spark), the same score as a join:

    WITH labels AS (SELECT DISTINCT label FROM …),
    grams AS (SELECT label, substr('^' || lower(label) || '$', i, 3) AS gram
              FROM labels, unnest(generate_series(1, length(label))) AS t(i))
    SELECT label, avg(coalesce(n.logp, <floor>)) AS score
    FROM grams LEFT JOIN dga_ngrams n USING (gram) GROUP BY label
"""

from __future__ import annotations

import json
import math
from collections import Counter
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pyarrow as pa

from vigil.content import content_root
from vigil.inputs import InputError
from vigil.query.engine import Engine


@dataclass(frozen=True)
class Model:
    """Trigram log-probabilities; `floor` for any other trigram. A label of `min_length`+
    characters scoring below `threshold` is flagged (the threshold is set by the build on
    held-out words; DGA_MODEL.md gives the rates measured at it)."""

    grams: dict[str, float]
    floor: float
    threshold: float
    min_length: int
    header: dict[str, Any]

    def score(self, label: str) -> float:
        """Mean log-probability per character of `label` (NaN for '')."""
        found = grams(label)
        if not found:
            return math.nan
        return sum(self.grams.get(g, self.floor) for g in found) / len(found)

    def flagged(self, label: str) -> bool:
        return len(label) >= self.min_length and self.score(label) < self.threshold


def grams(label: str) -> list[str]:
    """The trigrams of `^label$`: one per character of the label."""
    padded = f"^{label.lower()}$"
    return [padded[i : i + 3] for i in range(len(label))]


def shipped() -> Path:
    return content_root() / "intel" / "dga_model.json"


def load_model(path: Path) -> Model:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
        table = {str(g): float(v) for g, v in doc["grams"].items()}
        return Model(table, float(doc["floor"]), float(doc["threshold"]),
                     int(doc["min_length"]), dict(doc["header"]))  # fmt: skip
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise InputError(f"not a DGA model: {exc}", source=str(path),
                         hint="rebuild it with scripts/build_dga_model.py") from exc  # fmt: skip


@cache
def model() -> Model:
    """The shipped model, read once."""
    return load_model(shipped())


def score(label: str) -> float:
    return model().score(label)


def entropy(text: str) -> float:
    """Shannon entropy of the characters of `text`, in bits per character (0.0 for '')."""
    counts = Counter(text)
    n = len(text)
    return -sum(c / n * math.log2(c / n) for c in counts.values())


def macro(floor: float) -> str:
    """`dga_score(label)`: the label's trigrams as a list, unnested and joined to `dga_ngrams`
    (a list and one join per row: twice as fast as a correlated `range` table function)."""
    return (
        "CREATE OR REPLACE MACRO dga_score(label) AS (SELECT avg(coalesce(n.logp, "
        f"{floor!r}::DOUBLE)) FROM (SELECT unnest(list_transform(range(1, length(label) + 1), "
        "lambda i: substr('^' || lower(label) || '$', i::BIGINT, 3))) AS gram) AS q "
        "LEFT JOIN dga_ngrams AS n ON n.gram = q.gram)"
    )


@cache
def _ngrams() -> pa.Table:
    current = model()
    return pa.table(
        {
            "gram": pa.array(list(current.grams), pa.string()),
            "logp": pa.array(list(current.grams.values()), pa.float64()),
        }
    )


def register(engine: Engine) -> None:
    """Table `dga_ngrams(gram, logp)`, the macro `dga_score(label)` and `dga_flagged(label)`
    (long enough to judge and scoring below the threshold: detections need not repeat them)."""
    current = model()
    engine.load_table("dga_ngrams", _ngrams())
    engine.execute(macro(current.floor))
    engine.execute(
        "CREATE OR REPLACE MACRO dga_flagged(label) AS "
        f"length(label) >= {current.min_length:d} AND dga_score(label) < {current.threshold!r}"
    )
