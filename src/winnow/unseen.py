"""The shipped model on corpus pages it never saw, from sites it never saw: the product's own held-out test.

``make eval`` scores out-of-fold predictions of the training pages (at most ``max_pages_per_corpus`` of each
corpus). Every other page of the corpora whose site has no page in training is a test of the model users get
(``train/model.skops``), run as they run it: each page dump cleaned alone (``winnow clean``), and each site's
pages cleaned together (``winnow clean --by-site``). The HTML extractors run on the same pages' HTML, and the
difference in shingle F1 from trafilatura gets a paired page-bootstrap interval.

A page with no recorded site is left out when any page of its corpus without a site was in training: it may
share a template with one of them (training groups them the same way).
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from winnow.baselines import SYSTEMS, run_baselines
from winnow.clean import join_kept, predict_sites, site_reference
from winnow.corpus_refs import pages_table_path, sentence_table_path
from winnow.decode import Threshold, keep_mask
from winnow.evaluate import attach_corpus_pages, body_gold
from winnow.metrics import (
    bootstrap_ci,
    confusion_counts,
    page_shingle_rows,
    sentence_scores_from_counts,
    shingle_prf_from_scores,
    shingle_tokens,
)
from winnow.model import WinnowModel
from winnow.site_features import UNKNOWN_SITE_SUFFIX
from winnow.threshold_sweep import SWEEP_THRESHOLDS, kept_texts, plot_sweep, sweep_markdown, sweep_summary

WINNOW = "winnow"
WINNOW_BY_SITE = "winnow --by-site"
# The page dump itself: its recall is the most any cleaner of the dump can reach (a gold that repeats a paragraph
# more often than the page holds it caps every system's recall; l3s-gn1's does on many pages).
KEEP_EVERYTHING = "keep everything"
REFERENCE_SYSTEM = "trafilatura"
HTML_SYSTEMS = ("trafilatura", "readability")
SHARE_SYSTEMS = (WINNOW, REFERENCE_SYSTEM)  # compared by the article's share of the page


def trained_pages(training_pages: Path) -> tuple[set[str], set[str]]:
    """The article ids and the sites of every training page, from the ``training-pages.parquet`` that ``winnow
    train`` writes beside a model (or any table with ``article_id`` and ``site``, such as the out-of-fold one)."""
    import pyarrow.parquet as pq

    table = pq.read_table(training_pages, columns=["article_id", "site"])
    return set(table.column("article_id").to_pylist()), set(table.column("site").to_pylist())


def unseen_pages(silver_dir: Path, corpora: Sequence[str], trained_ids: set[str], trained_sites: set[str],
                 ) -> tuple[list[dict[str, Any]], dict[str, dict[str, int]]]:
    """Pages of each corpus's imported page table that are not in training and whose site is not either.

    Returns the pages (``corpus``, ``page_id`` as ``<corpus>/<id>``, ``site`` or None, ``text``, ``gold_text``
    without the headline) and, per corpus, how many pages were kept and why the others were left out.
    """
    import pandas as pd

    pages: list[dict[str, Any]] = []
    counts: dict[str, dict[str, int]] = {}
    for corpus in corpora:
        path = pages_table_path(silver_dir, corpus)
        if not path.is_file():
            continue
        frame = pd.read_parquet(path, columns=["page_id", "site", "page_type", "text", "gold_text", "gold_headline"])
        frame = frame.astype(object).where(frame.notna(), None)
        unknown_trained = f"{corpus}{UNKNOWN_SITE_SUFFIX}" in trained_sites
        tally = dict.fromkeys(("pages", "in_training", "site_in_training", "no_site", "empty", "kept"), 0)
        for row in frame.sort_values("page_id", kind="stable").to_dict("records"):
            tally["pages"] += 1
            page_id, site = f"{corpus}/{row['page_id']}", row["site"] or None
            if page_id in trained_ids:
                tally["in_training"] += 1
            elif site is not None and site in trained_sites:
                tally["site_in_training"] += 1
            elif site is None and unknown_trained:
                tally["no_site"] += 1
            elif not (row["text"] or "").strip():
                tally["empty"] += 1
            else:
                tally["kept"] += 1
                pages.append({"corpus": corpus, "page_id": page_id, "site": site, "page_type": row["page_type"],
                              "text": row["text"], "gold_text": body_gold(row["gold_text"], row["gold_headline"])})
        counts[corpus] = tally
    return pages, counts


def clean_pages(pages: Sequence[Mapping[str, Any]], model: WinnowModel, by_site: bool,
                threshold: Threshold | None = None, sweep: Sequence[Threshold] = (),
                ) -> tuple[list[dict[str, Any]], float]:
    """Each page's kept text and which sentences were kept, as ``winnow clean`` (``by_site``: ``--by-site``)
    computes them; returns the outputs, in page order, and the seconds taken. ``sweep``: thresholds at which each
    page's text is also kept (``"swept"``, one text per threshold; see :mod:`winnow.threshold_sweep`)."""
    threshold = model.threshold if threshold is None else threshold
    start, sweeping = time.perf_counter(), 0.0  # the sweep's extra joins are not cleaning time
    groups: dict[str | None, list[int]] = defaultdict(list)
    for i, page in enumerate(pages):
        groups[page["site"] if by_site else None].append(i)
    jobs = []
    for site, members in groups.items():
        items = [(pages[i]["page_id"], pages[i]["text"]) for i in members]
        reference = site_reference(items, site) if site is not None else None
        jobs.append((site, items, reference))
    order = [i for members in groups.values() for i in members]  # predict_sites yields in input order
    outputs: list[dict[str, Any]] = [{} for _ in pages]
    for i, (_, _, text, records, p) in zip(order, predict_sites(jobs, model), strict=True):
        keep = keep_mask(p, threshold, records.texts)
        outputs[i] = {
            "pred_text": join_kept(text, records, keep),
            "sentences": dict(zip((r["sentence_id"] for r in records), keep.tolist(), strict=True)),
        }
        if sweep:
            swept_start = time.perf_counter()
            outputs[i]["swept"] = kept_texts(text, records, p, sweep)
            sweeping += time.perf_counter() - swept_start
    return outputs, time.perf_counter() - start - sweeping


def silver_labels(silver_dir: Path, corpora: Iterable[str], page_ids: set[str],
                  ambiguous_band: tuple[float, float]) -> dict[str, int]:
    """Silver label (1 content) of every sentence of these pages, without the ambiguous band (as in training)."""
    import pandas as pd

    labels: dict[str, int] = {}
    low, high = ambiguous_band
    for corpus in corpora:
        path = sentence_table_path(silver_dir, corpus)
        if not path.is_file():
            continue
        table = pd.read_parquet(path, columns=["article_id", "sentence_id", "label", "align_score"])
        table = table[table["article_id"].isin(page_ids)
                      & ~table["align_score"].between(low, high, inclusive="neither")]
        labels.update(zip(table["sentence_id"], (table["label"] == "content").astype(int), strict=True))
    return labels


def sentence_counts(outputs: Sequence[Mapping[str, Any]], labels: Mapping[str, int]) -> tuple[np.ndarray, int]:
    """Per page ``[tp, fp, fn, tn]`` of the content class over silver-labelled sentences, and how many
    labelled sentences of these pages the segmentation did not reproduce (0 when it is the same)."""
    rows = np.zeros((len(outputs), 4), dtype=np.int64)
    for row, output in zip(rows, outputs, strict=True):
        labelled = [(labels[sentence_id], kept) for sentence_id, kept in output["sentences"].items()
                    if sentence_id in labels]
        row[:] = confusion_counts([truth for truth, _ in labelled], [kept for _, kept in labelled])
    return rows, len(labels) - int(rows.sum())


def _with_interval(value: float | None, interval: Mapping[str, Any]) -> dict[str, Any]:
    """A point value and the low/high ends of its bootstrap interval (when it has one)."""
    return {"value": value, **{k: v for k, v in interval.items() if k in ("low", "high")}}


def shingle_summary(scores: np.ndarray, reference: np.ndarray | None, n_boot: int, seed: int) -> dict[str, Any]:
    """Shingle P/R/F1 with page-bootstrap intervals and, given the reference system's scores on the same pages,
    the F1 difference from it with a paired interval (the same resampled pages for both)."""
    def statistic(sample: np.ndarray) -> dict[str, float | None]:
        own = shingle_prf_from_scores(sample[:, :2])
        if reference is None:
            return own
        other = shingle_prf_from_scores(sample[:, 2:])
        diff = None if own["f1"] is None or other["f1"] is None else own["f1"] - other["f1"]
        return {**own, "f1_minus_reference": diff}

    items = scores if reference is None else np.hstack([scores, reference])
    point = statistic(items)
    intervals = bootstrap_ci(items, statistic, n_boot=n_boot, seed=seed)
    return {key: _with_interval(value, intervals.get(key, {})) for key, value in point.items()} | {
        "pages": int(len(scores)), "pages_without_output": int(np.isnan(scores[:, 0]).sum())}


def page_groups(pages: Sequence[Mapping[str, Any]]) -> dict[str, np.ndarray]:
    """Row masks of every corpus and, where the corpus records page types (wcxb-dev), of every
    ``<corpus> (<page type>)``: a score over news articles should not hide one over forums or shops."""
    keys: dict[str, list[int]] = defaultdict(list)
    for i, page in enumerate(pages):
        keys[page["corpus"]].append(i)
        if page.get("page_type"):
            keys[f"{page['corpus']} ({page['page_type']})"].append(i)
    masks = {}
    for key, rows in sorted(keys.items()):
        masks[key] = np.zeros(len(pages), dtype=bool)
        masks[key][rows] = True
    return masks


# Bins of the gold text's share of the page dump's words (upper ends): winnow's weak pages are those where the
# article is a small part of the page (a short post among archive lists, sidebars and comments).
GOLD_SHARE_BINS = ((0.10, "gold < 10% of the page"), (0.25, "gold 10–25%"), (float("inf"), "gold ≥ 25%"))


def gold_share(page: Mapping[str, Any]) -> float:
    """The gold text's words (``\\w+`` tokens, as the shingle metric counts them) over the page dump's."""
    return len(shingle_tokens(page["gold_text"])) / max(1, len(shingle_tokens(page["text"])))


def gold_share_groups(pages: Sequence[Mapping[str, Any]]) -> dict[str, np.ndarray]:
    """Row masks of ``<corpus>, <bin>`` for every corpus and bin of :data:`GOLD_SHARE_BINS` that has pages."""
    shares = np.array([gold_share(page) for page in pages])
    corpora = np.array([page["corpus"] for page in pages])
    masks = {}
    for corpus in sorted(set(corpora.tolist())):
        lower = 0.0
        for upper, label in GOLD_SHARE_BINS:
            mask = (corpora == corpus) & (shares >= lower) & (shares < upper)
            if mask.any():
                masks[f"{corpus}, {label}"] = mask
            lower = upper
    return masks


ScoredSystem = tuple[np.ndarray, np.ndarray]  # [precision, recall] rows per page, and whether the system ran


def scored_systems(pages: Sequence[Mapping[str, Any]], texts: Mapping[str, Sequence[str | None]],
                   ) -> dict[str, ScoredSystem]:
    """Every system's shingle rows on every page (:func:`page_shingle_rows`) and the pages it ran on."""
    return {name: (page_shingle_rows(outputs, pages), np.array([text is not None for text in outputs]))
            for name, outputs in texts.items()}


def summarise_systems(scored: Mapping[str, ScoredSystem], groups: Mapping[str, np.ndarray], n_boot: int,
                      seed: int) -> dict[str, dict[str, Any]]:
    """``{group: {system: shingle summary}}``: every system on the pages of each group it ran on (HTML
    extractors only where a page has HTML; the difference from trafilatura on the pages both ran on)."""
    out: dict[str, dict[str, Any]] = {}
    for group, members in groups.items():
        out[group] = {}
        for name in sorted(scored):
            scores, ran = scored[name]
            rows = members & ran
            reference = None
            if REFERENCE_SYSTEM in scored and name != REFERENCE_SYSTEM:
                reference_scores, reference_ran = scored[REFERENCE_SYSTEM]
                rows &= reference_ran
                reference = reference_scores[rows]
            if rows.any():
                out[group][name] = shingle_summary(scores[rows], reference, n_boot, seed)
    return out


def sentence_summary(counts: np.ndarray, pages: Sequence[Mapping[str, Any]], n_boot: int, seed: int,
                     ) -> dict[str, dict[str, Any]]:
    """Sentence P/R/F1 of the content class per group of :func:`page_groups` (pooled over its sentences) and
    the mean of the pages' own F1 (:func:`winnow.metrics.page_mean_f1`), with page-bootstrap intervals."""
    out = {}
    for group, members in page_groups(pages).items():
        rows = counts[members]
        point = sentence_scores_from_counts(rows)
        intervals = bootstrap_ci(rows, sentence_scores_from_counts, n_boot=n_boot, seed=seed)
        out[group] = {key: _with_interval(point[key], intervals.get(key, {}))
                      for key in ("precision", "recall", "f1", "page_mean_f1")} | {"sentences": int(rows.sum())}
    return out


def run_html_systems(pages: Sequence[Mapping[str, Any]], systems: Sequence[str],
                     progress: Callable[[list[Any], str], Iterable[Any]] | None = None,
                     ) -> tuple[dict[str, list[str | None]], dict[str, dict[str, Any]]]:
    """Each HTML extractor's text for every page (None where it has no HTML), and its timing
    (:func:`winnow.baselines.run_baselines`)."""
    result = run_baselines(pages, {name: SYSTEMS[name] for name in systems}, progress=progress)
    texts: dict[str, dict[str, str]] = defaultdict(dict)
    for row in result["pages"]:
        texts[row["system"]][row["page_id"]] = row["pred_text"]
    return ({name: [texts[name].get(page["page_id"]) for page in pages] for name in systems}, result["timing"])


def evaluate_unseen(model: WinnowModel, silver_dir: Path, corpora: Sequence[str], training_pages: Path,
                    corpora_root: Path | None, html_systems: Sequence[str] = HTML_SYSTEMS,
                    ambiguous_band: tuple[float, float] = (0.3, 0.7), n_boot: int = 1000, seed: int = 0,
                    progress: Callable[[list[Any], str], Iterable[Any]] | None = None,
                    ) -> dict[str, Any]:
    """The whole held-out evaluation as data: ``metrics`` (reproducible) and ``timing`` (varies by run)."""
    trained_ids, trained_sites = trained_pages(training_pages)
    pages, counts = unseen_pages(silver_dir, corpora, trained_ids, trained_sites)
    if not pages:
        raise ValueError(f"no unseen pages: {silver_dir} holds no page table of {', '.join(corpora)} beyond "
                         "the training pages (run `make silver`)")
    with_html = attach_corpus_pages(pages, None, corpora_root)["html"] if corpora_root and html_systems else 0
    texts: dict[str, list[str | None]] = {}
    timing: dict[str, dict[str, Any]] = {}
    winnow_outputs = {}
    for name, by_site in ((WINNOW, False), (WINNOW_BY_SITE, True)):
        outputs, seconds = clean_pages(pages, model, by_site, sweep=() if by_site else SWEEP_THRESHOLDS)
        winnow_outputs[name] = outputs
        texts[name] = [output["pred_text"] for output in outputs]
        timing[name] = {"n_pages": len(pages), "seconds": seconds, "pages_per_s": len(pages) / seconds}
    texts[KEEP_EVERYTHING] = [page["text"] for page in pages]
    if with_html:
        html_texts, html_timing = run_html_systems(pages, html_systems, progress)
        texts.update(html_texts)
        timing.update(html_timing)
    labels = silver_labels(silver_dir, corpora, {page["page_id"] for page in pages}, ambiguous_band)
    sentences = {}
    unmatched = {}
    for name, outputs in winnow_outputs.items():
        rows, unmatched[name] = sentence_counts(outputs, labels)
        sentences[name] = sentence_summary(rows, pages, n_boot, seed)
    scored = scored_systems(pages, texts)  # shingles of every page, once for both tables
    metrics = {
        "model": model.version, "threshold": model.threshold, "n_boot": n_boot, "seed": seed,
        "reference_system": REFERENCE_SYSTEM, "pages": counts, "pages_with_html": with_html,
        "shingle": summarise_systems(scored, page_groups(pages), n_boot, seed), "sentence": sentences,
        "shingle_by_gold_share": summarise_systems({name: scored[name] for name in SHARE_SYSTEMS if name in scored},
                                                   gold_share_groups(pages), n_boot, seed),
        "silver_sentences": len(labels), "silver_sentences_not_segmented_alike": unmatched,
        "threshold_sweep": sweep_summary(pages, [output["swept"] for output in winnow_outputs[WINNOW]],
                                         corpus_groups(pages), SWEEP_THRESHOLDS,
                                         scored[REFERENCE_SYSTEM][1] if REFERENCE_SYSTEM in scored else None),
    }
    return {"metrics": metrics, "timing": timing}


def corpus_groups(pages: Sequence[Mapping[str, Any]]) -> dict[str, np.ndarray]:
    """Row masks of every corpus (:func:`page_groups` without the page types)."""
    corpora = np.array([page["corpus"] for page in pages])
    return {corpus: corpora == corpus for corpus in sorted(set(corpora.tolist()))}


def _interval(value: Mapping[str, Any], signed: bool = False) -> str:
    number = "{:+.3f}" if signed else "{:.3f}"
    if value.get("value") is None:
        return "–"
    text = number.format(value["value"])
    if "low" in value:
        text += f" [{number.format(value['low'])}, {number.format(value['high'])}]"
    return text


def unseen_markdown(metrics: Mapping[str, Any]) -> str:
    """The report: what was left out and why, shingle F1 per group and system, sentence F1 (no timing, so the
    same model and data give the same bytes)."""
    lines = [
        "# The shipped model on unseen pages of unseen sites",
        "",
        f"Built by `make eval-unseen` (`winnow eval-unseen`): model {metrics['model']}, threshold "
        f"{metrics['threshold']}. Every corpus page that is not a training page and whose site has no training "
        "page, cleaned as users clean it: `winnow` = each page alone (`winnow clean`), `winnow --by-site` = each "
        "site's pages together; `keep everything` = the page dump itself, whose recall is the most any cleaner of the "
        "dump can reach. Shingle F1 against each corpus's gold text (without its headline); † = reads the "
        f"HTML. Intervals: {metrics['n_boot']} page-bootstrap resamples (seed {metrics['seed']}), paired for the "
        f"difference from {metrics['reference_system']}.",
        "",
        "## Pages",
        "",
        "| corpus | pages | in training | site in training | no site (unsited pages were in training) | empty | "
        "evaluated |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for corpus, c in metrics["pages"].items():
        lines.append(f"| {corpus} | {c['pages']} | {c['in_training']} | {c['site_in_training']} | {c['no_site']} | "
                     f"{c['empty']} | {c['kept']} |")
    lines += ["", "## Shingle F1", "",
              f"| group | system | precision | recall | F1 [95% CI] | F1 − {metrics['reference_system']} [95% CI] | "
              "pages | without output |",
              "|---|---|---:|---:|---|---|---:|---:|"]
    for group, systems in metrics["shingle"].items():
        for name, v in systems.items():
            dagger = " †" if name in HTML_SYSTEMS else ""
            diff = _interval(v["f1_minus_reference"], signed=True) if "f1_minus_reference" in v else "–"
            lines.append(f"| {group} | {name}{dagger} | {_interval({'value': v['precision']['value']})} | "
                         f"{_interval({'value': v['recall']['value']})} | {_interval(v['f1'])} | {diff} | "
                         f"{v['pages']} | {v['pages_without_output']} |")
    lines += sweep_markdown(metrics.get("threshold_sweep") or {}, metrics["threshold"],
                            {group: {name: v["f1"]["value"] for name, v in systems.items() if name in HTML_SYSTEMS}
                             for group, systems in metrics["shingle"].items()})
    lines += _gold_share_lines(metrics)
    lines += ["", "## Sentence level (silver labels, ambiguous alignments left out as in training)", "",
              "Precision, recall and F1 are pooled over the group's sentences, so a page weighs by its sentences "
              "(a forum thread can hold thousands); the mean over pages of each page's F1 weighs pages alike, "
              "like the shingle F1 (pages with neither gold nor kept content are skipped).", "",
              "| group | system | precision | recall | F1 [95% CI] | F1, mean over pages [95% CI] | sentences |",
              "|---|---|---:|---:|---|---|---:|"]
    for name, groups in metrics["sentence"].items():
        for group, v in groups.items():
            lines.append(f"| {group} | {name} | {_interval({'value': v['precision']['value']})} | "
                         f"{_interval({'value': v['recall']['value']})} | {_interval(v['f1'])} | "
                         f"{_interval(v['page_mean_f1'])} | {v['sentences']} |")
    return "\n".join(lines) + "\n"


def _gold_share_lines(metrics: Mapping[str, Any]) -> list[str]:
    """The shingle F1 of winnow and trafilatura by how much of the page is article (``shingle_by_gold_share``)."""
    by_share = metrics.get("shingle_by_gold_share") or {}
    reference = metrics["reference_system"]
    if not by_share:
        return []
    lines = ["", "## By the article's share of the page", "",
             "The gold text's words over the page dump's: where the article is a small part of the page, a text-only "
             "cleaner has the least to go on.", "",
             f"| group | pages | winnow F1 [95% CI] | {reference} † F1 | winnow − {reference} [95% CI] |",
             "|---|---:|---|---|---|"]
    for group, systems in by_share.items():
        own, other = systems.get(WINNOW), systems.get(reference)
        if own is None:
            continue
        diff = _interval(own["f1_minus_reference"], signed=True) if "f1_minus_reference" in own else "–"
        lines.append(f"| {group} | {own['pages']} | {_interval(own['f1'])} | "
                     f"{_interval({'value': other['f1']['value']}) if other else '–'} | {diff} |")
    return lines


def plot_unseen(metrics: Mapping[str, Any], path: Path) -> None:
    """Shingle F1 with its interval, per group (rows) and system (bars): where winnow stands against the HTML
    extractors at a glance."""
    from winnow.report import _figure, save_png

    groups = list(metrics["shingle"])
    systems = sorted({name for by_system in metrics["shingle"].values() for name in by_system})
    fig, (axis,) = _figure(width=7.0, height=0.9 + 0.45 * len(groups) * max(1, len(systems)) / 2)
    height = 0.8 / len(systems)
    for k, name in enumerate(systems):
        rows = [(i, metrics["shingle"][g][name]["f1"]) for i, g in enumerate(groups) if name in metrics["shingle"][g]]
        y = np.array([i for i, _ in rows]) + (k - (len(systems) - 1) / 2) * height
        value = np.array([f["value"] for _, f in rows])
        low = np.array([f.get("low", f["value"]) for _, f in rows])
        high = np.array([f.get("high", f["value"]) for _, f in rows])
        axis.barh(y, value, height=height, xerr=[value - low, high - value], capsize=2,
                  label=name + (" †" if name in HTML_SYSTEMS else ""))
    axis.set_yticks(range(len(groups)), [f"{g} ({metrics['shingle'][g][systems[0]]['pages']})"
                                         if systems[0] in metrics["shingle"][g] else g for g in groups])
    axis.invert_yaxis()
    axis.set_xlim(0, 1)
    axis.set_xlabel("shingle F1 on unseen sites (95% page-bootstrap interval)")
    fig.legend(loc="outside upper center", ncols=len(systems), fontsize="small")
    save_png(fig, path)


def write_unseen(result: Mapping[str, Any], out_dir: Path) -> list[Path]:
    """Into ``out_dir``: ``unseen.json``, ``unseen.md``, ``unseen.png`` and ``unseen-threshold.png``
    (reproducible: same model and data, same bytes) and ``unseen-timing.json`` (pages/s of every system in this
    run)."""
    import json

    from winnow.jsonio import write_text_atomic
    from winnow.report import write_metrics_json

    out_dir.mkdir(parents=True, exist_ok=True)
    names = ("unseen.json", "unseen.md", "unseen.png", "unseen-threshold.png", "unseen-timing.json")
    paths = [out_dir / name for name in names]
    metrics = result["metrics"]
    write_metrics_json(metrics, paths[0])
    plot_unseen(metrics, paths[2])
    plot_sweep(metrics["threshold_sweep"], metrics["threshold"], paths[3],
               {group: {name: {key: v[key]["value"] for key in ("precision", "recall")}
                        for name, v in systems.items() if name in HTML_SYSTEMS}
                for group, systems in metrics["shingle"].items()})
    write_text_atomic(paths[1], unseen_markdown(metrics)
                      + f"\n![shingle F1 per group and system]({paths[2].name})\n"
                      + f"\n![shingle precision against recall at each threshold]({paths[3].name})\n")
    write_text_atomic(paths[4], json.dumps(result["timing"], indent=2, sort_keys=True) + "\n")
    return paths
