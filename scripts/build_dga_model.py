"""Build the character model of domain labels that Vigil's DGA detections score names with.

    .venv/bin/python scripts/build_dga_model.py [--measure-only]

Source: English word frequencies of the `wordfreq` package (PyPI), installed at build time into
a temporary folder (`pip install --no-deps --target`) and read directly from its data file
(`wordfreq/data/large_en.msgpack.gz`, lists of words by frequency). The package's code is
Apache-2.0; its word lists are CC BY-SA 4.0 (its README, shipped in the wheel's METADATA), so
the model, derived from them, is CC BY-SA 4.0 too, and says so in its header.

Training set: the most frequent purely alphabetic words of 3+ characters, less a held-out
tenth (chosen by a hash of the word), plus compounds of two frequent words (some joined by a
hyphen) and words with a one or two digit suffix, so that joins like `cloudfront`, `my-app` and
`web01` are not unseen. Model: character trigrams over the label padded `^label$`, each the
add-k smoothed log-probability of its last character given the first two; only trigrams seen
`MIN_COUNT` times are kept, the rest score `floor`.

Writes src/vigil/content/intel/dga_model.json and prints the quality measured with the labels
of tests/dga_samples.py, for src/vigil/content/intel/DGA_MODEL.md.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import math
import random
import subprocess
import sys
import tempfile
from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import msgspec

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "tests"))

import dga_samples  # noqa: E402
from vigil.intel import dga  # noqa: E402

PACKAGE, VERSION = "wordfreq", "3.1.1"
DATA_FILE = "wordfreq/data/large_en.msgpack.gz"
TOP_WORDS = 100_000  # the most frequent words kept (the tail is mostly names and typos)
COMPOUNDS = 60_000  # two-word joins from the COMPOUND_POOL most frequent training words
COMPOUND_POOL = 20_000
HYPHENATED = 0.1  # share of the compounds joined by a hyphen
DIGIT_SUFFIXED = 8_000  # words with a one or two digit suffix
K = 0.1  # add-k smoothing
MIN_COUNT = 3  # trigrams seen fewer times are left out of the file and score `floor`
ALPHABET = 38  # a-z, 0-9, '-', and the end mark '$'
SEED = 20261207
MIN_LENGTH = 7  # labels shorter than this are not judged: too few trigrams
TARGET_FPR = 0.01  # share of held-out benign labels the threshold may flag
OUT = ROOT / "src" / "vigil" / "content" / "intel" / "dga_model.json"


def install(target: Path) -> Path:
    """The source package, installed without dependencies into `target` (read, not imported)."""
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target",
         str(target), f"{PACKAGE}=={VERSION}"],
        check=True,
    )  # fmt: skip
    return target


def read_words(site: Path) -> list[str]:
    """Alphabetic words of 3+ letters, most frequent first (the cBpack format: a header, then
    one list of words per centibel of frequency, most frequent first)."""
    packed = msgspec.msgpack.decode(gzip.decompress((site / DATA_FILE).read_bytes()))
    header, bands = packed[0], packed[1:]
    if header != {"format": "cB", "version": 1}:
        raise SystemExit(f"{DATA_FILE}: unexpected header {header!r}")
    words = [w for band in bands for w in band if len(w) >= 3 and w.isascii() and w.isalpha()]
    return words[:TOP_WORDS]


def licence(site: Path) -> str:
    """The code licence file and the README's licence section, as shipped in the wheel."""
    info = next(site.glob(f"{PACKAGE}-{VERSION}.dist-info"))
    meta = (info / "METADATA").read_text(encoding="utf-8")
    section = meta.split("## License", 1)[1].split("\n## ", 1)[0]
    if "Attribution-ShareAlike 4.0" not in section:
        raise SystemExit("the data licence is no longer CC BY-SA 4.0: review before shipping")
    return section.strip()


def part(word: str) -> str:
    """'train' for nine words in ten; the rest split by the same hash into 'calibrate' (sets the
    threshold) and 'test' (measured only)."""
    bucket = hashlib.blake2b(word.encode(), digest_size=2).digest()[0] % 20
    return "calibrate" if bucket == 0 else "test" if bucket == 10 else "train"


def compounded(words: list[str], count: int, rng: random.Random) -> list[str]:
    """`count` joins of two of `words`, a tenth of them with a hyphen."""
    return [rng.choice(words) + ("-" if rng.random() < HYPHENATED else "") + rng.choice(words)
            for _ in range(count)]  # fmt: skip


def training_labels(words: list[str], rng: random.Random) -> list[str]:
    pool = words[:COMPOUND_POOL]
    joined = compounded(pool, COMPOUNDS, rng)
    # host numbering: web1, web01, db12
    digits = [
        rng.choice(pool)
        + (f"{rng.randrange(100):02d}" if rng.random() < 0.6 else str(rng.randrange(10)))
        for _ in range(DIGIT_SUFFIXED)
    ]
    return words + joined + digits


def train(labels: list[str]) -> tuple[dict[str, float], float]:
    """Trigram log-probabilities and the floor. A trigram whose estimate is no better than the
    floor is left out: rarely seen then scores like never seen."""
    grams: Counter[str] = Counter()
    for label in labels:
        grams.update(dga.grams(label))
    contexts: Counter[str] = Counter()
    for gram, count in grams.items():
        contexts[gram[:2]] += count
    # an unseen trigram: add-k's estimate in a context of median size
    sizes = sorted(contexts.values())
    floor = round(math.log(K / (sizes[len(sizes) // 2] + K * ALPHABET)), 6)
    logp = {
        g: round(math.log((c + K) / (contexts[g[:2]] + K * ALPHABET)), 6)
        for g, c in sorted(grams.items())
        if c >= MIN_COUNT
    }
    return {g: v for g, v in logp.items() if v > floor}, floor


def calibration_labels(words: list[str]) -> list[str]:
    """Benign labels the threshold is set on: held-out words and joins of them."""
    joined = compounded(words, len(words), random.Random(SEED + 1))
    return [x for x in words + joined if len(x) >= MIN_LENGTH]


def threshold(model: dga.Model, labels: list[str]) -> float:
    """The score that flags `TARGET_FPR` of `labels`, rounded down to 0.05."""
    scores = sorted(model.score(x) for x in labels)
    return math.floor(scores[int(len(scores) * TARGET_FPR)] * 20) / 20


def header(words: int, legal: str) -> dict[str, Any]:
    return {
        "what": "character trigram model of domain labels (mean log-probability per character)",
        "source": {"package": PACKAGE, "version": VERSION, "file": DATA_FILE,
                   "registry": "PyPI", "words": words},
        "licence": "CC BY-SA 4.0 (derived from wordfreq's word lists; wordfreq's code is "
                   "Apache-2.0)",
        "attribution": legal,
        "built": datetime.now(UTC).strftime("%Y-%m-%d"),
        "parameters": {"top_words": TOP_WORDS, "compounds": COMPOUNDS,
                       "compound_pool": COMPOUND_POOL, "hyphenated": HYPHENATED,
                       "digit_suffixed": DIGIT_SUFFIXED, "k": K, "min_count": MIN_COUNT,
                       "alphabet": ALPHABET, "seed": SEED, "padding": "^label$", "order": 3,
                       "held_out": "blake2b(word)[0] % 20: 0 calibrate, 10 test",
                       "target_fpr": TARGET_FPR},
    }  # fmt: skip


def write(model: dga.Model) -> None:
    doc = {"header": model.header, "floor": model.floor, "threshold": model.threshold,
           "min_length": model.min_length, "grams": model.grams}  # fmt: skip
    OUT.write_text(json.dumps(doc, separators=(",", ":"), ensure_ascii=False) + "\n")


def measure(model: dga.Model, test_words: list[str]) -> None:
    """Rates at the model's threshold, in the shape DGA_MODEL.md quotes them."""

    def flagged(labels: list[str]) -> str:
        scored = [x for x in labels if len(x) >= model.min_length]
        hits = sum(model.flagged(x) for x in scored)
        return f"{hits}/{len(scored)} = {hits / len(scored):.2%}"

    test_joined = compounded(test_words, len(test_words), random.Random(SEED + 2))
    print(f"threshold {model.threshold}, labels of {model.min_length}+ characters")
    for family in dga_samples.RANDOM_FAMILIES:
        print(f"  {family:16} flagged {flagged(dga_samples.generated(family))}")
    print(f"  dictionary       flagged {flagged(dga_samples.dictionary_generated(test_words))}")
    print(f"  benign list      flagged {flagged(list(dga_samples.BENIGN_SERVICE_LABELS))}")
    shorts = [x for x in dga_samples.BENIGN_SERVICE_LABELS if len(x) < model.min_length]
    low = sum(model.score(x) < model.threshold for x in shorts)
    print(f"  benign list, shorter than {model.min_length} (not judged): {low}/{len(shorts)} "
          "would score below the threshold")  # fmt: skip
    print(f"  held-out words   flagged {flagged(test_words)}")
    print(f"  held-out joins   flagged {flagged(test_joined)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--measure-only", action="store_true", help="measure the shipped model")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="dga-build-") as tmp:
        site = install(Path(tmp))
        words = read_words(site)
        legal = licence(site)
    parts = {w: part(w) for w in words}
    train_words = [w for w in words if parts[w] == "train"]
    calibrate = [w for w in words if parts[w] == "calibrate"]
    test = [w for w in words if parts[w] == "test"]
    if args.measure_only:
        model = dga.load_model(OUT)
    else:
        logp, floor = train(training_labels(train_words, random.Random(SEED)))
        draft = dga.Model(logp, floor, 0.0, MIN_LENGTH, header(len(train_words), legal))
        model = replace(draft, threshold=threshold(draft, calibration_labels(calibrate)))
        write(model)
        print(f"{OUT}: {len(logp)} trigrams, floor {floor}, {OUT.stat().st_size} bytes")
    measure(model, test)


if __name__ == "__main__":
    main()
