"""Is a retrained model better than the shipped one on sites neither has seen? A paired test over seeds.

A change to the features, the data or ``train/config.toml`` moves shingle F1 by a few thousandths, about as much
as retraining with another seed does. So each side may be several runs (the same config with other seeds), and
both sides are scored on the same pages: every corpus page outside the training pages of all the runs, from sites
none of them trained on (:func:`winnow.unseen.unseen_pages`). Each run cleans each page alone, as ``winnow
clean`` does. Per corpus (and page type), the difference of the two sides' mean shingle F1 gets a paired
page-bootstrap interval: the same resampled pages for every run.

Each run's training pages are named by the ``training-pages.parquet`` that ``winnow train`` writes beside the
model (with or without ``--cv``).

A change to winnow's own features makes the old models unreadable by the new code (they expect other inputs), so
both sides cannot be cleaned by one checkout. :func:`save_scores` keeps the baseline side's page scores in a
JSON file, with the pages its runs trained on and a digest of every page's text; a checkout with the change then
compares its models against that file (``winnow compare-models --baseline-scores``).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from winnow.jsonio import write_text_atomic
from winnow.metrics import bootstrap_ci, shingle_prf_from_scores
from winnow.model import load_model
from winnow.train import training_pages_path
from winnow.unseen import clean_pages, page_groups, page_shingle_rows, trained_pages, unseen_pages


def training_table(model_path: Path) -> Path:
    """The table of training pages written beside a model by ``winnow train``."""
    path = training_pages_path(model_path)
    if not path.is_file():
        raise FileNotFoundError(f"{path} not found: `winnow train` writes it beside {model_path} (retrain the "
                                "model); without it the pages that model trained on are unknown")
    return path


SCORES_FORMAT = 1
Progress = Callable[[list[Path], str], Iterable[Path]]


def trained_by(model_paths: Sequence[Path]) -> tuple[set[str], set[str]]:
    """The article ids and the sites that any of the models trained on."""
    ids: set[str] = set()
    sites: set[str] = set()
    for path in model_paths:
        model_ids, model_sites = trained_pages(training_table(path))
        ids |= model_ids
        sites |= model_sites
    return ids, sites


def _pages_to_score(silver_dir: Path, corpora: Sequence[str], ids: set[str], sites: set[str],
                    ) -> tuple[list[dict[str, Any]], dict[str, dict[str, int]]]:
    """The pages of no run's training (``ids``) and of no run's training site, and the counts per corpus
    (:func:`unseen_pages`); a ValueError where none is left."""
    pages, counts = unseen_pages(silver_dir, corpora, ids, sites)
    if not pages:
        raise ValueError(f"no page of {', '.join(corpora)} in {silver_dir} is unseen by every model "
                         "(run `make silver`, or compare models trained on the same pages)")
    return pages, counts


def text_digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:16]


def _score_models(model_paths: Sequence[Path], pages: Sequence[Mapping[str, Any]],
                  progress: Progress | None) -> list[np.ndarray]:
    models = list(model_paths)
    return [page_scores(path, pages) for path in (progress(models, f"cleaning {len(pages)} pages")
                                                  if progress else models)]


def save_scores(model_paths: Sequence[Path], silver_dir: Path, corpora: Sequence[str], path: Path,
                progress: Progress | None = None) -> int:
    """Score the models on every page none of them saw, and write the scores to ``path`` (JSON) for a later
    :func:`compare_models` with ``baseline_scores``. Returns the number of pages."""
    if not model_paths:
        raise ValueError("give at least one model to save the scores of")
    ids, sites = trained_by(model_paths)
    pages, _ = _pages_to_score(silver_dir, corpora, ids, sites)
    runs = _score_models(model_paths, pages, progress)
    saved = {
        "format": SCORES_FORMAT, "models": [str(p) for p in model_paths],
        "trained_ids": sorted(ids), "trained_sites": sorted(sites),
        "pages": {page["page_id"]: {"text_sha256": text_digest(page["text"]),
                                    "runs": [[None if np.isnan(v) else float(v) for v in run[i]] for run in runs]}
                  for i, page in enumerate(pages)},
    }
    write_text_atomic(path, json.dumps(saved, sort_keys=True) + "\n")
    return len(pages)


def load_scores(path: Path) -> dict[str, Any]:
    """A file of :func:`save_scores`; a ValueError says what is wrong with it."""
    try:
        saved = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ValueError(f"scores file {path} not found; write it with `winnow compare-models --baseline MODEL "
                         "--save-scores FILE`") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise ValueError(f"{path} is not a scores file of `winnow compare-models --save-scores` ({err})") from None
    kinds = {"format": int, "models": list, "trained_ids": list, "trained_sites": list, "pages": dict}
    if not (isinstance(saved, dict) and all(isinstance(saved.get(key), kind) for key, kind in kinds.items())
            and saved["format"] == SCORES_FORMAT):
        raise ValueError(f"{path} is not a scores file of `winnow compare-models --save-scores` (format "
                         f"{SCORES_FORMAT}); write it again")
    runs = len(saved["models"])
    for page_id, entry in saved["pages"].items():
        if not (isinstance(entry, dict) and isinstance(entry.get("text_sha256"), str)
                and isinstance(entry.get("runs"), list) and len(entry["runs"]) == runs
                and all(isinstance(row, list) and len(row) == 2
                        and all(v is None or isinstance(v, (int, float)) for v in row) for row in entry["runs"])):
            raise ValueError(f"{path}: the scores of {page_id} are malformed (expected {runs} [precision, "
                             "recall] pairs and a text digest); write the file again")
    return saved


def saved_runs(saved: Mapping[str, Any], pages: Sequence[Mapping[str, Any]], path: Path) -> list[np.ndarray]:
    """The saved side's ``[precision, recall]`` rows of each run on ``pages``, checked to be the same pages."""
    rows = []
    for page in pages:
        entry = saved["pages"].get(page["page_id"])
        if entry is None:
            raise ValueError(f"{path} has no score for {page['page_id']}: it was saved from other corpora or "
                             "another silver import; save it again from the same data")
        if entry["text_sha256"] != text_digest(page["text"]):
            raise ValueError(f"{page['page_id']} is not the page {path} was scored on (its text changed since: "
                             "the silver was imported again from other corpora?); save it again")
        rows.append(entry["runs"])
    table = np.array(rows, dtype=float).reshape(len(pages), len(saved["models"]), 2)  # None -> NaN
    return [table[:, run, :] for run in range(table.shape[1])]


def page_scores(model_path: Path, pages: Sequence[Mapping[str, Any]]) -> np.ndarray:
    """``[precision, recall]`` shingle rows of one model's ``winnow clean`` output on every page."""
    outputs, _ = clean_pages(pages, load_model(model_path), by_site=False)
    return page_shingle_rows([output["pred_text"] for output in outputs], pages)


def mean_f1(runs: Sequence[np.ndarray]) -> float | None:
    """Mean over runs of each run's shingle F1 (None when a run has no defined F1)."""
    values = [shingle_prf_from_scores(run)["f1"] for run in runs]
    return None if any(v is None for v in values) else float(np.mean(values))


def compare_runs(pages: Sequence[Mapping[str, Any]], baseline: Sequence[np.ndarray],
                 candidate: Sequence[np.ndarray], n_boot: int = 1000, seed: int = 0) -> dict[str, dict[str, Any]]:
    """Per page group: both sides' mean shingle F1 over their runs, and candidate minus baseline with a paired
    page-bootstrap interval (every run's scores resampled on the same pages)."""
    k = len(baseline)
    out: dict[str, dict[str, Any]] = {}
    for group, members in page_groups(pages).items():
        items = np.hstack([run[members] for run in (*baseline, *candidate)])

        def statistic(sample: np.ndarray) -> dict[str, float | None]:
            runs = [sample[:, 2 * i:2 * i + 2] for i in range(sample.shape[1] // 2)]
            base, cand = mean_f1(runs[:k]), mean_f1(runs[k:])
            return {"baseline": base, "candidate": cand,
                    "difference": None if base is None or cand is None else cand - base}

        point = statistic(items)
        interval = bootstrap_ci(items, statistic, n_boot=n_boot, seed=seed).get("difference", {})
        out[group] = {**point, "low": interval.get("low"), "high": interval.get("high"),
                      "pages": int(members.sum())}
    return out


def compare_models(baseline: Sequence[Path], candidate: Sequence[Path], silver_dir: Path, corpora: Sequence[str],
                   n_boot: int = 1000, seed: int = 0, progress: Progress | None = None,
                   baseline_scores: Path | None = None) -> dict[str, Any]:
    """The whole comparison as data (see the module docstring); ``progress`` wraps the loop over the models.
    ``baseline_scores``: a :func:`save_scores` file standing for the baseline models (``baseline`` then empty)."""
    if bool(baseline) == (baseline_scores is not None) or not candidate:
        raise ValueError("give at least one candidate model, and baseline models or a baseline scores file")
    saved = load_scores(baseline_scores) if baseline_scores is not None else None
    models = [*baseline, *candidate]
    ids, sites = trained_by(models)
    if saved:  # the saved side's runs trained on these: left out as the models' own would be
        ids, sites = ids | set(saved["trained_ids"]), sites | set(saved["trained_sites"])
    pages, counts = _pages_to_score(silver_dir, corpora, ids, sites)
    scores = _score_models(models, pages, progress)
    base = saved_runs(saved, pages, baseline_scores) if saved else scores[:len(baseline)]
    return {"baseline": saved["models"] if saved else [str(p) for p in baseline],
            "candidate": [str(p) for p in candidate], "n_boot": n_boot, "seed": seed, "pages": counts,
            "groups": compare_runs(pages, base, scores[len(baseline):], n_boot, seed)}


def comparison_markdown(result: Mapping[str, Any]) -> str:
    """The comparison as a Markdown table (one row per corpus and page type)."""
    def number(value: float | None, signed: bool = False) -> str:
        return "n/a" if value is None else (f"{value:+.4f}" if signed else f"{value:.4f}")

    lines = [
        "# Candidate vs baseline on sites neither has seen (shingle F1)", "",
        f"Baseline runs: {', '.join(result['baseline'])}. Candidate runs: {', '.join(result['candidate'])}. "
        f"Each side's F1 is the mean over its runs; the interval is a paired page bootstrap ({result['n_boot']} "
        f"resamples, seed {result['seed']}).", "",
        "| pages | count | baseline | candidate | candidate − baseline [95% interval] |",
        "|---|---:|---:|---:|---|",
    ]
    for group, row in result["groups"].items():
        lines.append(f"| {group} | {row['pages']} | {number(row['baseline'])} | {number(row['candidate'])} | "
                     f"{number(row['difference'], True)} [{number(row['low'], True)}, "
                     f"{number(row['high'], True)}] |")
    return "\n".join(lines) + "\n"


def plot_comparison(result: Mapping[str, Any], path: Path) -> None:
    """Candidate − baseline per group with its paired interval (a forest plot): which corpora a change helps
    (green: interval above 0), which it hurts (red) and which it leaves within noise (gray), at a glance."""
    from winnow.report import _figure, save_png

    rows = [(group, row) for group, row in result["groups"].items() if row["difference"] is not None]
    fig, (axis,) = _figure(width=6.5, height=1.0 + 0.35 * len(rows))
    value = np.array([row["difference"] for _, row in rows])
    low = np.array([row["low"] if row["low"] is not None else row["difference"] for _, row in rows])
    high = np.array([row["high"] if row["high"] is not None else row["difference"] for _, row in rows])
    colors = ["tab:green" if lo > 0 else "tab:red" if hi < 0 else "tab:gray" for lo, hi in zip(low, high, strict=True)]
    positions = np.arange(len(rows))
    axis.hlines(positions, low, high, colors=colors, linewidth=2)
    axis.scatter(value, positions, c=colors, zorder=3)
    axis.axvline(0, color="black", linewidth=0.8)
    axis.set_yticks(positions, [f"{group} ({row['pages']})" for group, row in rows])
    axis.invert_yaxis()
    axis.set_xlabel("candidate − baseline, shingle F1 (95% paired interval)")
    save_png(fig, path)
