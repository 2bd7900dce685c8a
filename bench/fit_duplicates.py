"""Fit the duplicate comparison's model on the development pairs and write core/similarity_model.json.

    .venv/bin/python bench/fit_duplicates.py            # cross-validate, fit, write
    .venv/bin/python bench/fit_duplicates.py --dry-run  # cross-validate and print only

Reads the development pairs only (bench/duplicates.py: the main set's development half, the
extra, dev2, dev3, dev4 and dev5 pairs; never the held-out half or a blind set). Each pair
becomes the signals of core.similarity.features; a logistic regression (plain Python: Newton's method with a ridge
penalty on standardized signals) turns them into a score. The fit is monotone: each signal has
the direction common sense gives it (core.similarity.DIRECTION: more shared wording, agreement or the same place can
only raise the score; a clash, unexplained words or negation on one side only lower it), and a
signal whose fitted weight takes the other direction is dropped (weight 0) and the rest refitted,
until none does. On our pairs this drops every wording signal: given the word groups, more
shared wording goes with *different* problems there, because the labelled "same" pairs are
mostly one problem told in two registers and the "different" ones mostly near-copies with
another building or trouble. Fitted freely, the model would learn that, and would score two
identical texts as different.

Cross-validation: 5 folds, repeated with 3 shuffles. In each fold the rarity table (IDF) is
counted on the training texts only and the model fitted on the training pairs; the pairs left
out are scored. The threshold written is the one at which the pooled left-out scores reach
precision 0.95 (the goal's 0.9 and MARGIN) with the most recall (the highest of equals), as long
as their recall stays at 0.8 or more (failing that, with dev4 and dev5 joined: the one with the
best precision whose recall is still 0.8); the left-out figures at it are
written beside it, for bench/duplicates.py to print. The model written is then fitted on all
development pairs, with the rarity table counted on all development texts.
"""

import json
import math
import random
import sys

from duplicates import GOAL_PRECISION, ROOT, load, rates

sys.path.insert(0, str(ROOT))

from core.similarity import DIRECTION, FEATURES, MODEL_FILE, Rarity, features, profile, score  # noqa: E402

FOLDS, SHUFFLES = 5, 3
RIDGE = 1.0  # on standardized signals; 0.3-3 cross-validate alike, 10 and more worse
# Left-out scores flatter the comparison: on every set written apart from the development pairs
# (the held-out half, three blind sets, dev2 and dev3 before they joined) precision came out 0.04
# to 0.13 below the cross-validated figure at the threshold cross-validation chose for 0.9. The
# threshold is therefore chosen for the goal's precision and this margin, and recall is allowed
# to fall to MIN_RECALL for it (the goal's 0.7, and a margin of its own).
MARGIN, MIN_RECALL = 0.05, 0.8


def fit(rows: list[tuple[float, ...]], labels: list[bool]) -> tuple[float, tuple[float, ...]]:
    """Bias and weights of a ridge logistic regression (on the signals' own scale)."""
    d, n = len(rows[0]), len(rows)
    mean = [sum(row[j] for row in rows) / n for j in range(d)]
    spread = [max(1e-6, math.sqrt(sum((row[j] - mean[j]) ** 2 for row in rows) / n)) for j in range(d)]
    z = [[1.0, *((row[j] - mean[j]) / spread[j] for j in range(d))] for row in rows]
    w = [0.0] * (d + 1)
    for _ in range(50):
        gradient = [0.0] * (d + 1)
        hessian = [[0.0] * (d + 1) for _ in range(d + 1)]
        for x, same in zip(z, labels, strict=True):
            p = 1 / (1 + math.exp(-max(-30.0, min(30.0, sum(a * b for a, b in zip(w, x, strict=True))))))
            error, curve = p - same, p * (1 - p)
            for i in range(d + 1):
                gradient[i] += error * x[i]
                row, xi = hessian[i], curve * x[i]
                for j in range(d + 1):
                    row[j] += xi * x[j]
        for i in range(1, d + 1):
            gradient[i] += RIDGE * w[i]
            hessian[i][i] += RIDGE
        step = _solve(hessian, gradient)
        w = [a - b for a, b in zip(w, step, strict=True)]
        if max(abs(s) for s in step) < 1e-9:
            break
    weights = tuple(w[j + 1] / spread[j] for j in range(d))
    return w[0] - sum(weights[j] * mean[j] for j in range(d)), weights


def fit_monotone(rows: list[tuple[float, ...]], labels: list[bool]) -> tuple[float, tuple[float, ...]]:
    """`fit`, dropping the signal most against its DIRECTION and refitting until none is (dropped: weight 0)."""
    kept = list(range(len(FEATURES)))
    while True:
        bias, weights = fit([tuple(row[j] for j in kept) for row in rows], labels)
        wrong = [(DIRECTION.get(FEATURES[j], 0) * w, j) for j, w in zip(kept, weights, strict=True)]
        worst, j = min(wrong)
        if worst >= 0:
            full = dict(zip(kept, weights, strict=True))
            return bias, tuple(full.get(j, 0.0) for j in range(len(FEATURES)))
        kept.remove(j)


def _solve(matrix: list[list[float]], vector: list[float]) -> list[float]:
    """Gauss-Jordan elimination with partial pivoting (the matrix is small and well-conditioned)."""
    n = len(vector)
    rows = [[*row, vector[i]] for i, row in enumerate(matrix)]
    for c in range(n):
        pivot = max(range(c, n), key=lambda r: abs(rows[r][c]))
        rows[c], rows[pivot] = rows[pivot], rows[c]
        for r in range(n):
            if r != c:
                factor = rows[r][c] / rows[c][c]
                for k in range(c, n + 1):
                    rows[r][k] -= factor * rows[c][k]
    return [rows[i][n] / rows[i][i] for i in range(n)]


def best_threshold(scored: list[tuple[bool, float]]) -> float | None:
    """The threshold reaching the goal's precision and MARGIN with the most recall (the highest of
    equals); failing that, the one with the best precision whose recall is still MIN_RECALL."""
    thresholds = [t / 100 for t in range(1, 100)]
    fitting = [t for t in thresholds if rates(scored, t)[0] >= GOAL_PRECISION + MARGIN]
    fitting = [t for t in fitting if rates(scored, t)[1] >= MIN_RECALL]
    if fitting:
        return max(fitting, key=lambda t: (rates(scored, t)[1], t))
    enough = [t for t in thresholds if rates(scored, t)[1] >= MIN_RECALL and rates(scored, t)[0] >= GOAL_PRECISION]
    return max(enough, key=lambda t: (rates(scored, t)[0], t)) if enough else None


def cross_validate(pairs) -> list[tuple[bool, float]]:
    """Left-out scores of every pair, once per shuffle."""
    scored = []
    for shuffle in range(SHUFFLES):
        order = list(range(len(pairs)))
        random.Random(shuffle).shuffle(order)
        for fold in range(FOLDS):
            left_out = set(order[fold::FOLDS])
            training = [i for i in order if i not in left_out]
            rarity = Rarity.of({text for i in training for text in pairs[i][1:]})
            rows = [features(profile(pairs[i][1]), profile(pairs[i][2]), rarity) for i in training]
            bias, weights = fit_monotone(rows, [pairs[i][0] for i in training])
            for i in sorted(left_out):
                same, a, b = pairs[i]
                scored.append((same, score(features(profile(a), profile(b), rarity), bias, weights)))
    return scored


def main():
    pairs = [(same, a, b) for part, _main, same, _category, a, b in load() if part == "dev"]
    print(f"{len(pairs)} development pairs ({sum(s for s, *_ in pairs)} same), {len(FEATURES)} signals")
    scored = cross_validate(pairs)
    threshold = best_threshold(scored)
    if threshold is None:
        sys.exit("no threshold reaches the goal's precision on the left-out scores")
    precision, recall = rates(scored, threshold)
    print(f"cross-validated ({FOLDS} folds x {SHUFFLES} shuffles, left-out scores pooled):")
    for t in sorted({0.3, 0.4, 0.5, 0.6, 0.7, 0.8, threshold}):
        p, r = rates(scored, t)
        print(f"  {t:.2f}: precision {p:.3f} recall {r:.3f}{'  <- chosen' if t == threshold else ''}")

    texts = sorted({text for _, a, b in pairs for text in (a, b)})
    rarity = Rarity.of(texts)
    rows = [features(profile(a), profile(b), rarity) for _, a, b in pairs]
    bias, weights = fit_monotone(rows, [same for same, *_ in pairs])
    print(f"bias {bias:+.2f}")
    for name, weight in sorted(zip(FEATURES, weights, strict=True), key=lambda nw: -abs(nw[1])):
        print(f"  {name:20} {weight:+.2f}" if weight else f"  {name:20} dropped (against its direction)")
    if "--dry-run" in sys.argv:
        return
    model = {
        "about": "Written by bench/fit_duplicates.py from the development pairs; do not edit by hand.",
        "features": list(FEATURES),
        "bias": round(bias, 6),
        "weights": [round(w, 6) for w in weights],
        "same_above": threshold,
        "cross_validated": {
            "folds": FOLDS,
            "shuffles": SHUFFLES,
            "pairs": len(pairs),
            "precision": round(precision, 3),
            "recall": round(recall, 3),
        },
        "texts": rarity.texts,
        "frequencies": dict(rarity.frequencies),
    }
    MODEL_FILE.write_text(json.dumps(model, ensure_ascii=False, indent=0) + "\n", encoding="utf-8")
    print(f"wrote {MODEL_FILE.relative_to(ROOT)} (threshold {threshold:.2f})")


if __name__ == "__main__":
    main()
