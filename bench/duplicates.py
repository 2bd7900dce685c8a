"""How good are the duplicate suggestions' text comparisons? Prints figures; it is not a test.

    .venv/bin/python bench/duplicates.py

Reads the labelled pairs in tests/data/duplicate_pairs.tsv (label same/different, category,
two requests as residents, clerks and the 12345 hotline write them) and scores each pair with
core.similarity.similarity (character bigrams, Dice). Prints precision and recall of
"same" at core.similarity.SAME_ABOVE and at other thresholds, the best threshold for the
issue's goal (precision >= 0.9 at recall >= 0.7), and the time of one comparison. Needs no
database: the comparison is pure Python.
"""

import csv
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core.similarity import SAME_ABOVE as THRESHOLD  # noqa: E402
from core.similarity import bigrams, similarity  # noqa: E402

PAIRS = ROOT / "tests" / "data" / "duplicate_pairs.tsv"


def load():
    with PAIRS.open(encoding="utf-8") as handle:
        return [
            (row["label"] == "same", row["category"], row["a"], row["b"])
            for row in csv.DictReader(handle, delimiter="\t")
        ]


def rates(scored, threshold):
    tp = sum(1 for same, score in scored if same and score >= threshold)
    fp = sum(1 for same, score in scored if not same and score >= threshold)
    fn = sum(1 for same, score in scored if same and score < threshold)
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    return precision, recall


def main():
    pairs = load()
    scored = [(same, similarity(a, b)) for same, _category, a, b in pairs]
    print(f"{len(pairs)} pairs ({sum(s for s, _ in scored)} same) from {PAIRS.relative_to(ROOT)}")
    print(f"{'threshold':>9} {'precision':>9} {'recall':>7}")
    for threshold in (0.1, 0.15, 0.2, 0.25, 0.3, THRESHOLD, 0.4, 0.5, 0.6):
        precision, recall = rates(scored, threshold)
        mark = "  <- in use" if threshold == THRESHOLD else ""
        print(f"{threshold:9.2f} {precision:9.2f} {recall:7.2f}{mark}")
    best = max((t / 100 for t in range(5, 95)), key=lambda t: rates(scored, t)[1] if rates(scored, t)[0] >= 0.9 else -1)
    precision, recall = rates(scored, best)
    print(f"goal precision >= 0.90 at recall >= 0.70: best threshold {best:.2f} gives {precision:.2f} / {recall:.2f}")
    texts = [a for _, _, a, _ in pairs]
    sets = [bigrams(t) for t in texts]
    start = time.perf_counter()
    rounds = 20
    for _ in range(rounds):
        for one in sets:
            similarity(sets[0], one)
    per = (time.perf_counter() - start) / (rounds * len(sets))
    print(f"one comparison: {per * 1e6:.1f} µs; 200 candidates (the most a suggestion scans): {per * 200 * 1e3:.2f} ms")
    print(f"median text length: {statistics.median(len(t) for t in texts):.0f} characters")


if __name__ == "__main__":
    main()
