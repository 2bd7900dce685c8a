"""How good are the duplicate suggestions' text comparisons? Prints figures; it is not a test.

    .venv/bin/python bench/duplicates.py               # development pairs and the time of a comparison
    .venv/bin/python bench/duplicates.py --errors      # also the misjudged development pairs
    .venv/bin/python bench/duplicates.py --held-out    # also the held-out half (see below: rarely)
    .venv/bin/python bench/duplicates.py --blind       # also the five blind sets

Reads the labelled pairs (label same/different, category, two requests as residents, clerks
and the 12345 hotline write them): tests/data/duplicate_pairs.tsv, the lead's main set;
tests/data/duplicate_pairs_extra.tsv, pairs written while building the comparison;
tests/data/duplicate_pairs_dev2.tsv and tests/data/duplicate_pairs_dev3.tsv, 320 and 360 pairs by a
second and a third writer who had read neither the word groups nor the other pairs, and
tests/data/duplicate_pairs_dev4.tsv and tests/data/duplicate_pairs_dev5.tsv, 300 pairs each by two
writers who had read nothing of the system (places written every way and in part, hard
near-misses; each set scored once by the comparison as it stood before it joined the
development pairs: README); and the blind sets tests/data/duplicate_pairs_blind.tsv,
duplicate_pairs_blind2.tsv, duplicate_pairs_blind3.tsv, duplicate_pairs_blind4.tsv and
duplicate_pairs_blind5.tsv (the second and third by writers who had read neither the word
groups nor the other pairs; the fourth and fifth by writers who had read nothing of the
system), each written and committed before the comparison was ever run on it.
Scores each pair with core.similarity.similarity.

Not fooling ourselves: each pair of the main set falls, by a hash of its two texts, into a
development half or a held-out half; the extra pairs are all development. The comparison's
model (bench/fit_duplicates.py) is fitted and its threshold chosen by cross-validation on the
development pairs alone (the main set's development half, the extra, dev2, dev3, dev4 and dev5
pairs); its
word groups were written from development pairs too, so the
development row is in-sample and flatters it, and the cross-validated row beside it is
optimistic for the word groups. The held-out half and the blind set are printed only when asked
(`--held-out`, `--blind`): each look at them is a measurement to report, and the README says
how many there were. `--errors` lists development pairs only. The time of one comparison and of
the 200 candidates a suggestion compares at most closes the output (no database: the whole
suggestion at intake, query included, is bench/duplicates_intake.py). Needs no database.
"""

import csv
import hashlib
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core.similarity import MODEL_FILE, explain, profile, similarity  # noqa: E402
from core.similarity import SAME_ABOVE as THRESHOLD  # noqa: E402

PAIRS = ROOT / "tests" / "data" / "duplicate_pairs.tsv"
EXTRA = ROOT / "tests" / "data" / "duplicate_pairs_extra.tsv"
DEV2 = ROOT / "tests" / "data" / "duplicate_pairs_dev2.tsv"
BLIND = ROOT / "tests" / "data" / "duplicate_pairs_blind.tsv"
BLIND2 = ROOT / "tests" / "data" / "duplicate_pairs_blind2.tsv"
DEV3 = ROOT / "tests" / "data" / "duplicate_pairs_dev3.tsv"
DEV4 = ROOT / "tests" / "data" / "duplicate_pairs_dev4.tsv"
DEV5 = ROOT / "tests" / "data" / "duplicate_pairs_dev5.tsv"
BLIND3 = ROOT / "tests" / "data" / "duplicate_pairs_blind3.tsv"
BLIND4 = ROOT / "tests" / "data" / "duplicate_pairs_blind4.tsv"
BLIND5 = ROOT / "tests" / "data" / "duplicate_pairs_blind5.tsv"
# Every set but the main one, and the part it is: development, or a blind set.
PARTS = {
    **dict.fromkeys((EXTRA, DEV2, DEV3, DEV4, DEV5), "dev"),
    **{BLIND: "blind", BLIND2: "blind2", BLIND3: "blind3", BLIND4: "blind4", BLIND5: "blind5"},
}
BLIND_PARTS = ("blind", "blind2", "blind3", "blind4", "blind5")
GOAL_PRECISION, GOAL_RECALL = 0.9, 0.7


def load():
    """(part, main, same, category, a, b) for every labelled pair; part is 'dev', 'held-out' or
    a blind set's ('blind', 'blind2', ..., 'blind5')."""
    pairs = []
    for path in (PAIRS, *PARTS):
        with path.open(encoding="utf-8") as handle:
            for row in csv.DictReader(handle, delimiter="\t"):
                a, b = row["a"], row["b"]
                part = PARTS.get(path) or half(a, b)
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


def main():
    asked = (("--held-out", "held-out"), *(("--blind", part) for part in BLIND_PARTS))
    show = {"dev"} | {part for flag, part in asked if flag in sys.argv}
    pairs = [pair for pair in load() if pair[0] in show]
    rows = [(part, main, same, category, a, b, similarity(a, b)) for part, main, same, category, a, b in pairs]
    parts = ("dev", "held-out", *BLIND_PARTS)
    groups = {part: [(same, score) for p, _, same, *_, score in rows if p == part] for part in parts}
    model = json.loads(MODEL_FILE.read_text(encoding="utf-8"))["cross_validated"]
    dev = [path.name for path, part in PARTS.items() if part == "dev"]
    blind = [path.name for path, part in PARTS.items() if part != "dev"]
    print(f"{PAIRS.relative_to(ROOT)}: halved by a hash of the texts; {', '.join(dev)}: development;")
    print(f"{', '.join(blind)}: the blind sets, each written before the comparison was run on it")
    print(f"threshold in use (core.similarity.SAME_ABOVE, chosen by cross-validation on dev): {THRESHOLD:.2f}")
    print(f"{'':>16} {'pairs':>5} {'same':>4} {'precision':>9} {'recall':>6}")
    print(
        f"{'dev, left out':>16} {model['pairs']:5d} {'':>4} {model['precision']:9.2f} {model['recall']:6.2f}"
        f"  cross-validated ({model['folds']} folds x {model['shuffles']}), from {MODEL_FILE.name}"
    )
    unseen = [pair for name, scored in groups.items() if name != "dev" for pair in scored]
    rows = [({"dev": "dev, in-sample"}.get(name, name), scored) for name, scored in groups.items()]
    for label, scored in [*rows, ("unseen, pooled", unseen)]:
        if not scored:
            continue
        precision, recall = rates(scored, THRESHOLD)
        met = "goal met" if precision >= GOAL_PRECISION and recall >= GOAL_RECALL else "below goal"
        print(f"{label:>16} {len(scored):5d} {sum(s for s, _ in scored):4d} {precision:9.2f} {recall:6.2f}  {met}")
    print(f"(goal: precision >= {GOAL_PRECISION} at recall >= {GOAL_RECALL})")
    print("\nother thresholds, precision / recall: " + " | ".join(name for name in groups if groups[name]))
    for threshold in (0.3, 0.4, 0.5, 0.6, 0.7, 0.8):
        figures = " | ".join("{:.2f} / {:.2f}".format(*rates(s, threshold)) for s in groups.values() if s)
        print(f"  {threshold:.2f}: {figures}")

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
                print(f"{'':20}" + " ".join(f"{n}={v:.2f}" for n, v, c in explain(a, b) if abs(c) >= 0.3))


if __name__ == "__main__":
    main()
