"""Writes the cell-type scoring fixtures into tests/fixtures/evaluate/types/.

Run with the project venv: .venv/bin/python tests/generators/cell_types.py

References: scikit-learn (tests/requirements.txt pins 1.9.1) ``accuracy_score`` and
``f1_score(average="macro")`` with their defaults, and ``precision_recall_fscore_support``
(``average=None``) per type. The labels are sklearn's: those on either side, sorted (text by code
point, integers numerically). The generator asserts sklearn's warning semantics as cellmap
documents them: ``f1_score`` warns of nothing (with these labels F1's denominator true + predicted
is never 0), and ``precision_recall_fscore_support`` warns (``UndefinedMetricWarning``, value 0.0)
exactly when a type is never predicted (precision) or never true (recall).

Per case ``<case>``:

* ``<case>_true.csv``, ``<case>_pred.csv``: ``cell_id,type`` (the measured and predicted types);
  for ``text`` the prediction lacks some measured cells, has cells the measured file lacks, and
  is shuffled; cells are matched by id and scored over the ids in both;
* ``<case>_true.npy``, ``<case>_pred.npy``: int64 category ids of the matched cells (in the
  measured file's order), numbered in sklearn's label order;
* ``<case>_scores.npy``: float64 ``[accuracy, macro_f1, n_cells, n_labels, macro_precision,
  macro_recall]`` (``precision_score``/``recall_score(average="macro")``, zero division 0);
* ``<case>_per_type.npy``: float64 ``(n_labels, 4)``: precision, recall, F1, support;
* ``<case>_labels.txt``: the labels, one per line.
"""
import os
import warnings

import numpy as np
from sklearn.exceptions import UndefinedMetricWarning
from sklearn.metrics import (accuracy_score, f1_score, precision_recall_fscore_support, precision_score,
                             recall_score)

OUT = os.path.join(os.path.dirname(__file__), "..", "fixtures", "evaluate", "types")

TEXT_TYPES = ["B cell", "T cell", "Endothelial", "Fibroblast", "Macrophage", "Tumor", "NK cell",
              "Plasma", "Pericyte", "Epithelial", "Adipocyte", "Mast cell"]


def noisy(rng, truth, choices, keep):
    """The truth with a fraction 1 - keep replaced by random choices."""
    pred = truth.copy()
    swap = rng.random(truth.size) > keep
    pred[swap] = rng.choice(choices, swap.sum())
    return pred


def cases(rng):
    # Text types; "Mast cell" is only true, "Doublet" only predicted.
    t = rng.choice(TEXT_TYPES, 300, p=np.r_[np.full(11, 0.9 / 11), 0.1])
    p = noisy(rng, t, np.array(TEXT_TYPES[:11] + ["Doublet"], dtype=object), 0.7)
    p[t == "Mast cell"] = "Macrophage"
    yield "text", t.astype(object), p.astype(object)
    # Cluster ids (integers: numeric order 2 < 10, not text order); 11 only predicted, 12 only true.
    t = rng.integers(0, 13, 400)
    t[t == 11] = 3
    p = noisy(rng, t, np.arange(0, 12), 0.6)
    p[p == 12] = 5
    yield "numeric", t, p
    # Many types (past numpy's 128-element pairwise block), 2,000 cells.
    t = rng.integers(0, 200, 2000)
    yield "many", t, noisy(rng, t, np.arange(0, 210), 0.5)
    # One type on both sides; no type in common.
    yield "one", np.full(20, 7), np.full(20, 7)
    yield "disjoint", np.array([1, 1, 2, 2, 3]), np.array([4, 5, 5, 6, 4])


def write_csv(path, ids, types):
    with open(path, "w") as f:
        f.write("cell_id,type\n")
        for i, v in zip(ids, types):
            f.write(f'{i},"{v}"\n' if " " in str(v) else f"{i},{v}\n")


def main():
    rng = np.random.default_rng(16)
    os.makedirs(OUT, exist_ok=True)
    for name, truth, pred in cases(rng):
        n = truth.size
        true_ids = np.arange(1, n + 1)
        pred_ids = true_ids.copy()
        if name == "text":
            # Some cells only measured, some only predicted; the prediction shuffled.
            keep = rng.random(n) > 0.05
            pred_ids, pred = pred_ids[keep], pred[keep]
            pred_ids = np.r_[pred_ids, np.arange(n + 1, n + 6)]
            pred = np.r_[pred, np.array(["T cell"] * 5, dtype=object)]
            order = rng.permutation(pred_ids.size)
            pred_ids, pred = pred_ids[order], pred[order]
        write_csv(os.path.join(OUT, f"{name}_true.csv"), true_ids, truth)
        write_csv(os.path.join(OUT, f"{name}_pred.csv"), pred_ids, pred)
        # The matched cells, in the measured file's order.
        by_id = dict(zip(pred_ids.tolist(), pred.tolist()))
        matched = [k for k, i in enumerate(true_ids.tolist()) if i in by_id]
        y_true = [truth.tolist()[k] for k in matched]
        y_pred = [by_id[true_ids[k]] for k in matched]
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            accuracy = accuracy_score(y_true, y_pred)
            macro = f1_score(y_true, y_pred, average="macro")
        assert not caught, [str(w.message) for w in caught]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UndefinedMetricWarning)
            macro_precision = precision_score(y_true, y_pred, average="macro")
            macro_recall = recall_score(y_true, y_pred, average="macro")
        labels = np.unique(np.r_[np.asarray(y_true), np.asarray(y_pred)])
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            precision, recall, f1, support = precision_recall_fscore_support(y_true, y_pred, average=None)
        warned = {str(w.message).split(" is ")[0] for w in caught if w.category is UndefinedMetricWarning}
        predicted = np.array([np.sum(np.asarray(y_pred) == v) for v in labels])
        actual = np.array([np.sum(np.asarray(y_true) == v) for v in labels])
        assert warned == ({"Precision"} if (predicted == 0).any() else set()) | (
            {"Recall"} if (actual == 0).any() else set()), warned
        ids = {v: k for k, v in enumerate(labels.tolist())}
        np.save(os.path.join(OUT, f"{name}_true.npy"), np.array([ids[v] for v in y_true], np.int64))
        np.save(os.path.join(OUT, f"{name}_pred.npy"), np.array([ids[v] for v in y_pred], np.int64))
        np.save(os.path.join(OUT, f"{name}_scores.npy"), np.array([accuracy, macro, len(y_true), labels.size,
                                                                    macro_precision, macro_recall]))
        np.save(os.path.join(OUT, f"{name}_per_type.npy"), np.stack([precision, recall, f1, support], axis=1).astype(np.float64))
        with open(os.path.join(OUT, f"{name}_labels.txt"), "w") as f:
            f.write("".join(f"{v}\n" for v in labels.tolist()))
        print(f"{name}: {len(y_true)} cells, {labels.size} types, accuracy {accuracy:.6f}, macro-F1 {macro:.17g}")


if __name__ == "__main__":
    main()
