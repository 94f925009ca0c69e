"""Quality report of the silver labels, per corpus, from the ``<corpus>-stats.json`` files of the import.

Numbers only go to ``eval/silver-report.json`` and ``eval/silver-report.md`` (no corpus text, may be
committed). The random sample sentences (corpus text!) go to ``eval/silver-samples.md``, which must stay
git-ignored.

Measures, per corpus:

- gold coverage: per page, the share of gold tokens that are aligned to tokens of sentences labelled
  content (gold tokens that merely repeat gold text already matched, because the gold holds a block twice,
  are left out); median and 5th percentile over pages with gold.
- gold alignable: the same, counting aligned tokens whatever their sentence's label (what the render lets
  us reach at all; coverage can be no higher).
- content-token precision: the share of tokens of content-labelled sentences that are aligned to the gold
  (pooled over the corpus, plus per-page median and 5th percentile); its complement is the share of
  content-labelled tokens not in the gold.
- ambiguous share: sentences whose alignment score lies strictly inside the middle band.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from winnow.jsonio import write_text_atomic
from winnow.silver import DEFAULT_CONFIG

TARGET_COVERAGE = 0.98
TARGET_PRECISION = 0.98
LOW_COVERAGE = 0.5  # pages below this: the render (or the gold) lost most of the main text


class ReportError(ValueError):
    """No import statistics to report on."""


def load_stats(silver_dir: Path, corpora: list[str] | None = None) -> list[dict[str, Any]]:
    """The import statistics of the named corpora (default: every ``*-stats.json``), sorted by corpus."""
    if corpora:
        paths = [silver_dir / f"{name}-stats.json" for name in corpora]
        missing = [str(path) for path in paths if not path.exists()]
        if missing:
            raise ReportError(f"no import statistics: {', '.join(missing)}; run `winnow import-corpus` first")
    else:
        paths = sorted(silver_dir.glob("*-stats.json"))
        if not paths:
            raise ReportError(f"no *-stats.json in {silver_dir}; run `winnow import-corpus` first")
    return sorted((json.loads(path.read_text(encoding="utf-8")) for path in paths), key=lambda s: s["corpus"])


def _quantiles(values: list[float]) -> dict[str, float | None]:
    if not values:
        return {"median": None, "p5": None, "mean": None}
    array = np.asarray(values, dtype=float)
    return {"median": round(float(np.median(array)), 4), "p5": round(float(np.percentile(array, 5)), 4),
            "mean": round(float(array.mean()), 4)}


def corpus_summary(stats: dict[str, Any]) -> dict[str, Any]:
    """Summary numbers of one corpus (see module docstring)."""
    pages = stats["pages"]
    coverage, alignable, precision = [], [], []
    for page in pages:
        reachable = page["gold_tokens"] - page["gold_redundant"]
        if reachable > 0:
            coverage.append(page["gold_covered"] / reachable)
            alignable.append(page["gold_matched"] / reachable)
        if page["content_tokens"]:
            precision.append(1 - page["content_unmatched"] / page["content_tokens"])
    content_tokens = sum(page["content_tokens"] for page in pages)
    unmatched = sum(page["content_unmatched"] for page in pages)
    sentences = sum(page["n_sentences"] for page in pages)
    pooled = 1 - unmatched / content_tokens if content_tokens else None
    summary = {
        "corpus": stats["corpus"],
        "pages_labelled": len(pages),
        "pages_empty_gold": len(stats["empty_gold"]),
        "pages_skipped": len(stats["skipped"]),
        "sentences": sentences,
        "content_sentence_share": round(sum(p["n_content"] for p in pages) / sentences, 4) if sentences else None,
        "gold_coverage": _quantiles(coverage),
        "gold_alignable": _quantiles(alignable),
        "pages_coverage_below_0.5": sum(value < LOW_COVERAGE for value in coverage),
        "content_precision_pooled": round(pooled, 4) if pooled is not None else None,
        "content_not_in_gold_share": round(1 - pooled, 4) if pooled is not None else None,
        "content_precision_page": _quantiles(precision),
        "ambiguous_share": round(sum(p["n_ambiguous"] for p in pages) / sentences, 4) if sentences else None,
        "gold_redundant_token_share": _share(sum(p["gold_redundant"] for p in pages),
                                             sum(p["gold_tokens"] for p in pages)),
        "gold_duplicate_paragraphs_dropped": sum(p["gold_duplicates_dropped"] for p in pages),
        "pages_gold_headline_dropped": sum(p["gold_headlines_dropped"] > 0 for p in pages),
    }
    summary["meets_targets"] = _meets(summary)
    return summary


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _meets(summary: dict[str, Any]) -> bool:
    median = summary["gold_coverage"]["median"]
    pooled = summary["content_precision_pooled"]
    return bool(median is not None and pooled is not None and median >= TARGET_COVERAGE
                and pooled >= TARGET_PRECISION)


def build_report(all_stats: list[dict[str, Any]]) -> dict[str, Any]:
    config = DEFAULT_CONFIG
    return {
        "targets": {"gold_coverage_median": TARGET_COVERAGE, "content_precision_pooled": TARGET_PRECISION},
        "ambiguous_band": [config.ambiguous_low, config.ambiguous_high],
        "content_threshold": config.content_threshold,
        "corpora": [corpus_summary(stats) for stats in all_stats],
    }


def _fmt(value: Any) -> str:
    if value is None:
        return "-"
    return f"{value:.4f}" if isinstance(value, float) else str(value)


def report_markdown(report: dict[str, Any]) -> str:
    lines = [
        "# Silver labels: alignment quality per corpus",
        "",
        "Built by `make silver` (`winnow import-corpus`); numbers only, no corpus text. Coverage = share of"
        " gold tokens aligned to content-labelled sentences (per page); precision = share of content-labelled"
        f" tokens aligned to the gold. Targets: median coverage >= {TARGET_COVERAGE}, pooled precision >="
        f" {TARGET_PRECISION}. Ambiguous = alignment score in {tuple(report['ambiguous_band'])} (exclusive);"
        f" content if score >= {report['content_threshold']}. Headline dropped = pages whose gold starts with the"
        " page's headline, which this project labels boilerplate (kind headline).",
        "",
        "| corpus | pages | empty gold | skipped | sentences | content share | coverage median | coverage p5 "
        "| alignable median | alignable p5 | pages cov<0.5 | precision pooled | precision page p5 | ambiguous "
        "| pages headline dropped | targets |",
        "|---|" + "---:|" * 14 + "---|",
    ]
    for s in report["corpora"]:
        cells = [s["corpus"], s["pages_labelled"], s["pages_empty_gold"], s["pages_skipped"], s["sentences"],
                 s["content_sentence_share"], s["gold_coverage"]["median"], s["gold_coverage"]["p5"],
                 s["gold_alignable"]["median"], s["gold_alignable"]["p5"], s["pages_coverage_below_0.5"],
                 s["content_precision_pooled"], s["content_precision_page"]["p5"], s["ambiguous_share"],
                 s["pages_gold_headline_dropped"], "met" if s["meets_targets"] else "NOT met"]
        lines.append("| " + " | ".join(_fmt(cell) for cell in cells) + " |")
    return "\n".join(lines) + "\n"


def samples_markdown(all_stats: list[dict[str, Any]]) -> str:
    lines = ["# Silver-label samples (CORPUS TEXT: keep git-ignored, never commit or publish)", ""]
    for stats in all_stats:
        lines += [f"## {stats['corpus']}", "", "| page | # | label | score | tokens | text |",
                  "|---|---:|---|---:|---:|---|"]
        for sample in stats["samples"]:
            text = sample["text"].replace("|", "\\|")
            lines.append(f"| {sample['page_id']} | {sample['index']} | {sample['label']} | "
                         f"{sample['align_score']:.2f} | {sample['n_tokens']} | {text} |")
        lines.append("")
    return "\n".join(lines)


def write_report(silver_dir: Path, report_dir: Path, corpora: list[str] | None = None) -> dict[str, Any]:
    """Write silver-report.json/.md and silver-samples.md into ``report_dir``; return the report."""
    all_stats = load_stats(silver_dir, corpora)
    report = build_report(all_stats)
    write_text_atomic(report_dir / "silver-report.json", json.dumps(report, indent=2) + "\n")
    write_text_atomic(report_dir / "silver-report.md", report_markdown(report))
    write_text_atomic(report_dir / "silver-samples.md", samples_markdown(all_stats))
    return report
