"""How good are the duplicate suggestions' text comparisons? Prints figures; it is not a test.

    .venv/bin/python bench/duplicates.py            # figures
    .venv/bin/python bench/duplicates.py --errors   # also the misjudged development pairs

Reads the labelled pairs in tests/data/duplicate_pairs.tsv (label same/different, category,
two requests as residents, clerks and the 12345 hotline write them) and
tests/data/duplicate_pairs_extra.tsv (the same columns; pairs written while building the
comparison), and scores each pair with core.similarity.similarity.

Not fooling ourselves: each pair of the main set falls, by a hash of its two texts, into a
development half or a held-out half; the extra pairs are all development. The comparison's
word groups, weights and threshold were tuned on the development pairs alone; the held-out
half is only measured. Prints precision and recall of "same" at core.similarity.SAME_ABOVE
on the development pairs, the held-out half, the whole main set and everything, the
threshold the development pairs alone would choose for the issue's goal (precision >= 0.9
with the most recall), and the time of one comparison and of the 200 candidates a suggestion
at intake compares at most. `--errors` lists development pairs only, so looking at the
mistakes does not leak the held-out half. Needs no database.
"""

import csv
import hashlib
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core.similarity import SAME_ABOVE as THRESHOLD  # noqa: E402
from core.similarity import profile, similarity  # noqa: E402

PAIRS = ROOT / "tests" / "data" / "duplicate_pairs.tsv"
EXTRA = ROOT / "tests" / "data" / "duplicate_pairs_extra.tsv"
GOAL_PRECISION, GOAL_RECALL = 0.9, 0.7


def load():
    """(part, same, category, a, b) for every labelled pair; part is 'dev' or 'held-out'."""
    pairs = []
    for path in (PAIRS, EXTRA):
        with path.open(encoding="utf-8") as handle:
            for row in csv.DictReader(handle, delimiter="\t"):
                a, b = row["a"], row["b"]
                part = "dev" if path == EXTRA else half(a, b)
                pairs.append((part, path == PAIRS, row["label"] == "same", row["category"], a, b))
    return pairs


def half(a: str, b: str) -> str:
    """'dev' or 'held-out', from the pair's texts alone (stable across runs and machines)."""
    digest = hashlib.sha256(f"{a}\t{b}".encode()).digest()
    return "dev" if digest[0] % 2 == 0 else "held-out"


def rates(scored, threshold):
    tp = sum(1 for same, score in scored if same and score >= threshold)
    fp = sum(1 for same, score in scored if not same and score >= threshold)
    fn = sum(1 for same, score in scored if same and score < threshold)
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    return precision, recall


def best_threshold(scored):
    """The threshold reaching the goal's precision with the most recall, the highest of equals."""
    fitting = [t / 100 for t in range(1, 100) if rates(scored, t / 100)[0] >= GOAL_PRECISION]
    return max(fitting, key=lambda t: (rates(scored, t)[1], t)) if fitting else None


def main():
    pairs = load()
    rows = [(part, main, same, category, a, b, similarity(a, b)) for part, main, same, category, a, b in pairs]
    groups = {
        "dev": [(same, score) for part, _, same, *_, score in rows if part == "dev"],
        "held-out": [(same, score) for part, _, same, *_, score in rows if part == "held-out"],
        "main set": [(same, score) for _, main, same, *_, score in rows if main],
        "all": [(same, score) for _, _, same, *_, score in rows],
    }
    print(f"{PAIRS.relative_to(ROOT)}: {sum(main for _, main, *_ in pairs)} pairs, halved by a hash of the texts;")
    print(f"{EXTRA.relative_to(ROOT)}: {sum(not main for _, main, *_ in pairs)} pairs, all development")
    print(f"threshold in use (core.similarity.SAME_ABOVE): {THRESHOLD:.2f}")
    print(f"{'':>9} {'pairs':>5} {'same':>4} {'precision':>9} {'recall':>6}")
    for name, scored in groups.items():
        precision, recall = rates(scored, THRESHOLD)
        met = "goal met" if precision >= GOAL_PRECISION and recall >= GOAL_RECALL else "below goal"
        same = sum(s for s, _ in scored)
        print(f"{name:>9} {len(scored):5d} {same:4d} {precision:9.2f} {recall:6.2f}  {met}")
    print("(dev: the main set's development half and the extra pairs; held-out: the main set's other half)")
    print("\nother thresholds, development half | held-out half:")
    for threshold in (0.3, 0.4, 0.5, 0.6, 0.7):
        dp, dr = rates(groups["dev"], threshold)
        hp, hr = rates(groups["held-out"], threshold)
        mark = "  <- in use" if threshold == THRESHOLD else ""
        print(f"  {threshold:.2f}: {dp:.2f} / {dr:.2f} | {hp:.2f} / {hr:.2f}{mark}")
    best = best_threshold(groups["dev"])
    if best is not None:
        print(f"the development half alone would choose {best:.2f} (precision {GOAL_PRECISION} with most recall)")

    texts = [a for *_, a, _ in pairs] + [b for *_, b in pairs]
    profiles = [profile(t) for t in texts]
    rounds = 9
    start = time.perf_counter()
    for _ in range(rounds):
        for one in profiles:
            similarity(profiles[0], one)
    per = (time.perf_counter() - start) / (rounds * len(profiles))
    cold, warm = [], []
    for _ in range(rounds):
        profile.cache_clear()  # cold: every candidate read from its text, as after a restart
        start = time.perf_counter()
        new = profile(texts[-1])
        for candidate in texts[:200]:
            similarity(new, candidate)
        cold.append(time.perf_counter() - start)
        start = time.perf_counter()  # warm: the candidates' profiles cached, as for the next report
        new = profile(texts[-2])
        for candidate in texts[:200]:
            similarity(new, candidate)
        warm.append(time.perf_counter() - start)
    print(
        f"\none comparison of two read texts: {per * 1e6:.1f} µs; one new text against 200 candidates "
        f"(the most a suggestion compares): {statistics.median(cold) * 1e3:.1f} ms cold, "
        f"{statistics.median(warm) * 1e3:.1f} ms warm (median of {rounds})"
    )
    print(f"median text length: {statistics.median(len(t) for t in texts):.0f} characters")

    if "--errors" in sys.argv:
        print("\ndevelopment pairs misjudged at the threshold in use:")
        for part, _, same, category, a, b, score in sorted(rows, key=lambda r: (r[3], r[6])):
            if part == "dev" and same != (score >= THRESHOLD):
                print(f"{'same' if same else 'diff'} {category:9} {score:.2f}  {a}  ||  {b}")
                first, second = profile(a), profile(b)
                print(f"{'':20}{sorted(first.facets)} {sorted(second.facets)}")


if __name__ == "__main__":
    main()
