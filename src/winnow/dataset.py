"""Build the Hugging Face dataset folder: gold sentence rows, article rows, site-disjoint splits, parquet
shards, a dataset card and a build manifest.

Layout of the folder (exactly what the Hub repository holds)::

    README.md                                   dataset card (YAML made by huggingface_hub/datasets)
    build_manifest.json                         what went in, what was left out and why, file checksums
    sentences/<split>-00000-of-00001.parquet    one row per gold-labelled sentence
    articles/<split>-00000-of-00001.parquet     one row per article with at least one gold sentence

Decisions (also stated in the card):

* Rights: only articles whose metadata says ``rights == "redistributable"`` go in. Others are excluded and
  counted; ``include_restricted=True`` makes a local-only build that says so on the card and in the
  manifest, and that ``winnow dataset publish`` refuses.
* Gold label of a sentence: the newest record of each annotator counts (corrections supersede). A record by
  an adjudicator wins outright; otherwise the label needs a unique plurality, then the kind (boilerplate) or
  stance (content) needs a unique plurality among the annotators who chose that label. A sentence with a tie
  and no adjudication is *unresolved* and left out (listed in the manifest).
* Only gold-labelled sentences are rows of ``sentences``: ``label`` is never missing, so the set can be used
  for training and evaluation as is. ``kind`` is -1 for content and ``stance`` is -1 for boilerplate
  (the ClassLabel convention for "no value"). Offsets index the article's ``text`` in ``articles``.
* ``clean_text`` of an article is its gold content sentences, one text block per line (sentences of one
  block joined by a space); it is null unless every sentence of the article has a gold label.
* Splits are by site, so no site and no article is in two splits; see :func:`assign_splits`.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import os
import shutil
import tempfile
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from winnow.annotations import (
    DEFAULT_ADJUDICATORS,
    KINDS,
    LABELS,
    STANCES,
    gold_labels,
    load_annotations,
    validate_annotations,
)
from winnow.corpus_refs import KnownSentences
from winnow.jsonio import atomic_open, read_jsonl, write_text_atomic

log = logging.getLogger(__name__)

CONFIGS = ("sentences", "articles")
SPLITS = ("train", "validation", "test")
SPLIT_BUCKETS = (("train", 80), ("validation", 90), ("test", 100))  # sha1(site) % 100 < bound
MANIFEST_NAME = "build_manifest.json"
CARD_NAME = "README.md"
DATASET_NAME = "winnow"
NO_VALUE = -1
UNKNOWN_SITE = "unknown"
RESTRICTED_TITLE = "[LOCAL BUILD, RESTRICTED TEXTS] "


class DatasetBuildError(ValueError):
    """The inputs cannot make a dataset (missing files, nothing redistributable, stale annotations)."""


@dataclass
class BuildSettings:
    """Everything a build depends on besides the input files; all of it is recorded in the card."""

    include_restricted: bool = False
    adjudicators: tuple[str, ...] = DEFAULT_ADJUDICATORS
    license: str = "cc-by-4.0"
    pretty_name: str = "winnow: news sentences labelled content or boilerplate"
    guidelines: str = "annotations/guidelines.md"
    homepage: str | None = None
    agreement: Mapping[str, Any] | None = None  # agreement numbers from the evaluation, if computed


@dataclass
class BuildResult:
    folder: Path
    manifest: dict[str, Any]
    rows: dict[str, dict[str, list[dict[str, Any]]]] = field(default_factory=dict)  # config -> split -> rows


# --------------------------------------------------------------------------------------------- features

def features(config: str):
    """The ``datasets.Features`` of a config (ClassLabel names come from winnow.annotations)."""
    from datasets import ClassLabel, Features, Value

    if config == "sentences":
        return Features({
            "sentence_id": Value("string"), "article_id": Value("string"), "site": Value("string"),
            "block": Value("int32"), "index": Value("int32"),
            "char_start": Value("int32"), "char_end": Value("int32"), "text": Value("string"),
            "label": ClassLabel(names=list(LABELS)), "kind": ClassLabel(names=list(KINDS)),
            "stance": ClassLabel(names=list(STANCES)),
            "annotator_count": Value("int32"), "agreement": Value("bool"),
        })
    if config == "articles":
        return Features({
            "article_id": Value("string"), "site": Value("string"), "url": Value("string"),
            "date": Value("string"), "headline": Value("string"), "stance_target": Value("string"),
            "text": Value("string"), "clean_text": Value("string"), "rights_note": Value("string"),
            "num_sentences": Value("int32"), "num_labeled_sentences": Value("int32"),
        })
    raise ValueError(f"unknown config {config!r}; expected one of {', '.join(CONFIGS)}")


# --------------------------------------------------------------------------------------------- inputs

def load_inputs(processed_dir: Path, annotations_dir: Path) -> tuple[list[dict], list[dict], list[dict]]:
    """Processed articles, sentences and every annotation record, with how-to-fix errors."""
    paths = [processed_dir / "articles.jsonl", processed_dir / "sentences.jsonl"]
    missing = [str(path) for path in paths if not path.is_file()]
    if missing:
        raise DatasetBuildError(f"{', '.join(missing)} not found; run `make data` first")
    if not annotations_dir.is_dir():
        raise DatasetBuildError(f"annotations directory {annotations_dir} not found")
    return read_jsonl(paths[0]), read_jsonl(paths[1]), load_annotations(annotations_dir)


def select_articles(articles: Iterable[dict], include_restricted: bool) -> tuple[list[dict], list[dict]]:
    """Split articles into (kept, excluded-for-rights). Missing rights metadata counts as restricted."""
    kept, excluded = [], []
    for article in articles:
        free = article.get("rights") == "redistributable"
        (kept if free or include_restricted else excluded).append(article)
    return kept, excluded


# --------------------------------------------------------------------------------------------- gold labels

# --------------------------------------------------------------------------------------------- splits

def site_bucket(site: str) -> int:
    return int(hashlib.sha1(site.encode("utf-8")).hexdigest(), 16) % 100


def assign_splits(sites: Iterable[str]) -> dict[str, str]:
    """Map each site to a split, deterministically.

    Normally a site's split is fixed by ``sha1(site) % 100`` (<80 train, <90 validation, else test), so a
    site never changes split when other sites are added. With few sites the buckets can leave a split empty;
    then the splits that make sense for that many sites (1 site: train; 2: train+test; 3+: all three) are
    filled by rank instead: sites ordered by bucket, the last ~10% (at least one) to test, the ~10% before
    them (at least one, from 3 sites on) to validation, the rest to train.
    """
    ordered = sorted(set(sites), key=lambda s: (site_bucket(s), s))
    if not ordered:
        return {}
    by_bucket = {site: next(name for name, bound in SPLIT_BUCKETS if site_bucket(site) < bound) for site in ordered}
    wanted = {1: {"train"}, 2: {"train", "test"}}.get(len(ordered), set(SPLITS))
    if set(by_bucket.values()) == wanted:
        return by_bucket
    n_held = max(1, round(len(ordered) * 0.1))
    n_test = n_held if "test" in wanted else 0
    n_val = n_held if "validation" in wanted else 0
    ranked = {}
    for position, site in enumerate(ordered):
        from_end = len(ordered) - position
        ranked[site] = "test" if from_end <= n_test else "validation" if from_end <= n_test + n_val else "train"
    return ranked


# --------------------------------------------------------------------------------------------- rows

def sentence_row(sentence: dict, site: str, gold: dict) -> dict[str, Any]:
    return {
        "sentence_id": sentence["sentence_id"], "article_id": sentence["article_id"], "site": site,
        "block": sentence["block"], "index": sentence["index"],
        "char_start": sentence["char_start"], "char_end": sentence["char_end"], "text": sentence["text"],
        "label": LABELS.index(gold["label"]),
        "kind": KINDS.index(gold["kind"]) if gold["kind"] is not None else NO_VALUE,
        "stance": STANCES.index(gold["stance"]) if gold["stance"] is not None else NO_VALUE,
        "annotator_count": gold["annotator_count"], "agreement": gold["agreement"],
    }


def clean_text(sentences: Sequence[dict], gold: Mapping[str, dict]) -> str | None:
    """Gold content sentences, one block per line; None unless every sentence has a gold label."""
    if any(s["sentence_id"] not in gold for s in sentences):
        return None
    blocks: dict[int, list[str]] = defaultdict(list)
    for sentence in sorted(sentences, key=lambda s: s["index"]):
        if gold[sentence["sentence_id"]]["label"] == "content":
            blocks[sentence["block"]].append(sentence["text"])
    return "\n".join(" ".join(blocks[block]) for block in sorted(blocks))


def article_row(article: dict, site: str, sentences: Sequence[dict], gold: Mapping[str, dict]) -> dict[str, Any]:
    return {
        "article_id": article["article_id"], "site": site, "url": article.get("url"),
        "date": article.get("published"), "headline": article.get("headline"),
        "stance_target": article.get("stance_target"), "text": article["text"],
        "clean_text": clean_text(sentences, gold), "rights_note": article.get("rights_note"),
        "num_sentences": len(sentences),
        "num_labeled_sentences": sum(s["sentence_id"] in gold for s in sentences),
    }


def site_of(article: dict) -> str:
    return article.get("site") or UNKNOWN_SITE


def build_rows(articles: Sequence[dict], sentences: Iterable[dict], gold: Mapping[str, dict]
               ) -> tuple[dict[str, dict[str, list[dict]]], dict[str, str], list[str]]:
    """Rows per config and split, the split of each article, and the ids of articles with no gold label."""
    by_article: dict[str, list[dict]] = defaultdict(list)
    for sentence in sentences:
        by_article[sentence["article_id"]].append(sentence)
    labelled = [a for a in articles if any(s["sentence_id"] in gold for s in by_article[a["article_id"]])]
    labelled_ids = {a["article_id"] for a in labelled}
    unlabelled = sorted(a["article_id"] for a in articles if a["article_id"] not in labelled_ids)
    split_of_site = assign_splits(site_of(a) for a in labelled)
    rows: dict[str, dict[str, list[dict]]] = {config: defaultdict(list) for config in CONFIGS}
    split_of_article = {}
    for article in sorted(labelled, key=lambda a: a["article_id"]):
        site, own = site_of(article), sorted(by_article[article["article_id"]], key=lambda s: s["index"])
        split = split_of_article[article["article_id"]] = split_of_site[site]
        rows["articles"][split].append(article_row(article, site, own, gold))
        rows["sentences"][split].extend(sentence_row(s, site, gold[s["sentence_id"]]) for s in own
                                        if s["sentence_id"] in gold)
    ordered = {config: {s: rows[config][s] for s in SPLITS if rows[config].get(s)} for config in CONFIGS}
    return ordered, split_of_article, unlabelled


# --------------------------------------------------------------------------------------------- shards

def shard_path(config: str, split: str) -> str:
    return f"{config}/{split}-00000-of-00001.parquet"


def write_shards(rows: Mapping[str, Mapping[str, list[dict]]], folder: Path) -> dict[str, Any]:
    """Write one parquet shard per config and split; return ``datasets.DatasetInfosDict`` for the card."""
    from datasets import Dataset, SplitDict, SplitInfo
    from datasets.info import DatasetInfo, DatasetInfosDict

    infos = {}
    for config, splits in rows.items():
        split_dict, download_size = SplitDict(dataset_name=DATASET_NAME), 0
        for split, split_rows in splits.items():
            table = Dataset.from_list(split_rows, features=features(config))
            buffer = io.BytesIO()
            table.to_parquet(buffer)
            with atomic_open(folder / shard_path(config, split), "wb") as handle:
                handle.write(buffer.getvalue())
            download_size += len(buffer.getvalue())
            split_dict.add(SplitInfo(name=split, num_bytes=table.data.nbytes, num_examples=len(table),
                                     dataset_name=DATASET_NAME))
        infos[config] = DatasetInfo(
            features=features(config), splits=split_dict, config_name=config, dataset_name=DATASET_NAME,
            download_size=download_size, dataset_size=sum(info.num_bytes for info in split_dict.values()),
        )
    return DatasetInfosDict(infos)


# --------------------------------------------------------------------------------------------- folder

def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def file_listing(folder: Path) -> dict[str, dict[str, Any]]:
    """Every file of the folder except the manifest, as posix path -> {bytes, sha256}."""
    return {
        path.relative_to(folder).as_posix(): {"bytes": path.stat().st_size, "sha256": _sha256(path)}
        for path in sorted(folder.rglob("*")) if path.is_file() and path.name != MANIFEST_NAME
    }


def check_replaceable(out_dir: Path) -> None:
    """Raise :class:`DatasetBuildError` unless ``out_dir`` may be replaced wholesale: it does not exist, is an
    empty directory, or is a dataset folder of an earlier build (it holds :data:`MANIFEST_NAME`). Anything else
    (``annotations/``, ``data/``, a home directory: the build swaps the folder out and deletes it) is refused."""
    if not out_dir.exists():
        return
    if not out_dir.is_dir():
        raise DatasetBuildError(f"--out-dir {out_dir} is a file, not a directory")
    if (out_dir / MANIFEST_NAME).is_file() or not any(out_dir.iterdir()):
        return
    raise DatasetBuildError(f"--out-dir {out_dir} already holds files and is not a dataset folder built by winnow "
                            f"(no {MANIFEST_NAME}): the build replaces its folder as a whole, so it refuses to "
                            "delete this one; choose a new or empty directory")


def _replace_folder(tmp: Path, out_dir: Path) -> None:
    """Swap a finished temporary folder into place, so a failed build never leaves a half-written one."""
    old = None
    if out_dir.exists():
        old = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.old-", dir=out_dir.parent))
        os.replace(out_dir, old / out_dir.name)
    os.replace(tmp, out_dir)
    if old is not None:
        shutil.rmtree(old)


def build_dataset(processed_dir: str | Path, annotations_dir: str | Path, out_dir: str | Path,
                  settings: BuildSettings | None = None) -> BuildResult:
    """Build the whole dataset folder from processed data and annotations (see the module docstring)."""
    settings = settings or BuildSettings()
    processed_dir, annotations_dir, out_dir = Path(processed_dir), Path(annotations_dir), Path(out_dir)
    check_replaceable(out_dir)
    articles, sentences, annotations = load_inputs(processed_dir, annotations_dir)
    kept, excluded = select_articles(articles, settings.include_restricted)
    _log_rights(articles, kept, excluded, settings.include_restricted)
    # records naming sentences of corpus pages are checked against the silver tables when built, and are never
    # published: the pages are not ours (only the kept articles' labels go in below)
    problems = validate_annotations(annotations_dir, KnownSentences(s["sentence_id"] for s in sentences))
    if problems:
        raise DatasetBuildError(f"{len(problems)} annotation problem(s), e.g. {problems[0]}; run `winnow validate` "
                                f"against {processed_dir / 'sentences.jsonl'} and fix the annotations")
    kept_ids = {a["article_id"] for a in kept}
    gold, unresolved = gold_labels([r for r in annotations if r["article_id"] in kept_ids], settings.adjudicators)
    rows, split_of_article, unlabelled = build_rows(kept, sentences, gold)
    if not split_of_article:
        raise DatasetBuildError(f"none of the {len(kept)} usable articles has a gold-labelled sentence; "
                                f"annotate some first (annotations in {annotations_dir})")
    if unlabelled:
        log.warning("left out %d article(s) with no gold label: %s", len(unlabelled), ", ".join(unlabelled))
    if unresolved:
        log.warning("left out %d sentence(s) whose annotators tie with no adjudication", len(unresolved))
    manifest = _manifest(kept, excluded, split_of_article, unlabelled, unresolved, rows, settings)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.tmp-", dir=out_dir.parent))
    try:
        infos = write_shards(rows, tmp)
        card = build_card(rows, infos, manifest, settings, annotations=[
            r for r in annotations if r["article_id"] in split_of_article])
        write_text_atomic(tmp / CARD_NAME, str(card))
        manifest["files"] = file_listing(tmp)
        write_text_atomic(tmp / MANIFEST_NAME, json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
        for path in tmp.rglob("*"):
            path.chmod(0o755 if path.is_dir() else 0o644)
        tmp.chmod(0o755)
        check_replaceable(out_dir)  # again: the folder may have changed while the shards were written
        _replace_folder(tmp, out_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return BuildResult(folder=out_dir, manifest=manifest, rows=rows)


def _log_rights(articles: list[dict], kept: list[dict], excluded: list[dict], include_restricted: bool) -> None:
    restricted_kept = [a for a in kept if a.get("rights") != "redistributable"]
    if restricted_kept:
        log.warning("INCLUDING %d restricted article(s) (--include-restricted): this build is for local or "
                    "private use only and cannot be published", len(restricted_kept))
    if excluded:
        log.warning("excluded %d of %d article(s) whose metadata does not allow redistribution: %s",
                    len(excluded), len(articles), ", ".join(sorted(a["article_id"] for a in excluded)))
    if not kept:
        raise DatasetBuildError(
            f"no article may be redistributed: all {len(articles)} article(s) are restricted or have no rights "
            "metadata (data/raw/articles.jsonl: rights). Nothing to build. For a local/private build that "
            "can never be published, rerun with --include-restricted "
            "(make dataset-local)."
        )


def _manifest(kept: list[dict], excluded: list[dict], split_of_article: Mapping[str, str],
              unlabelled: list[str], unresolved: list[str], rows: Mapping[str, Mapping[str, list]],
              settings: BuildSettings) -> dict[str, Any]:
    included = [a for a in kept if a["article_id"] in split_of_article]
    restricted = sorted(a["article_id"] for a in included if a.get("rights") != "redistributable")
    return {
        "format": 1,
        "include_restricted": settings.include_restricted,
        "contains_restricted": bool(restricted),
        "articles": [{"article_id": a["article_id"], "site": site_of(a), "rights": a.get("rights"),
                      "split": split_of_article[a["article_id"]]}
                     for a in sorted(included, key=lambda a: a["article_id"])],
        "restricted_articles": restricted,
        "excluded": {
            "rights": sorted(a["article_id"] for a in excluded),
            "no_gold_label": unlabelled,
            "unresolved_sentences": unresolved,
        },
        "rows": {config: {split: len(r) for split, r in splits.items()} for config, splits in rows.items()},
        "settings": {"adjudicators": list(settings.adjudicators), "license": settings.license},
    }


def read_metrics(path: str | Path | None, key: str | None) -> dict[str, Any] | None:
    """The agreement section of an evaluation metrics JSON (``key`` is a dotted path), or None."""
    if path is None or not Path(path).is_file():
        return None
    value: Any = json.loads(Path(path).read_text(encoding="utf-8"))
    for part in (key.split(".") if key else []):
        if not isinstance(value, dict) or part not in value:
            log.warning("%s has no '%s'; the card says agreement is not yet computed", path, key)
            return None
        value = value[part]
    return value if isinstance(value, dict) else {key or "agreement": value}


# --------------------------------------------------------------------------------------------- card

SIZE_CATEGORIES = ((1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K"),
                   (1_000_000, "100K<n<1M"), (10_000_000, "1M<n<10M"))
SENTENCE_FIELDS = (
    ("sentence_id", "`<article_id>:<sha1-12 of the text>[.n]`, stable across rebuilds"),
    ("article_id", "joins with `articles`"), ("site", "source site (splits never share a site)"),
    ("block", "0-based text block (non-blank line) of the article"),
    ("index", "0-based position of the sentence in the article"),
    ("char_start, char_end", "offsets into the article's `text`: `text[char_start:char_end]` is the sentence"),
    ("text", "the sentence"), ("label", f"ClassLabel {list(LABELS)}"),
    ("kind", f"ClassLabel {list(KINDS)}; -1 for content sentences"),
    ("stance", f"ClassLabel {list(STANCES)} toward the article's stance target; -1 for boilerplate"),
    ("annotator_count", "distinct annotators of the sentence (an adjudicator counts as one)"),
    ("agreement", "all annotators gave the same label (and, for content, the same stance)"),
)
ARTICLE_FIELDS = (
    ("article_id", "article id"), ("site", "source site"), ("url", "source URL (may be null)"),
    ("date", "publication date as given in the metadata (ISO 8601, may be null)"),
    ("headline", "headline from the metadata"), ("stance_target", "what `stance` is measured against"),
    ("text", "the plain-text dump as decoded: the offsets of `sentences` index it"),
    ("clean_text", "gold content sentences, one block per line; null unless every sentence has a gold label"),
    ("rights_note", "the terms under which the source text is included"),
    ("num_sentences, num_labeled_sentences", "sentences in the article, and how many have a gold label"),
)


def size_category(n: int) -> str:
    return next((name for bound, name in SIZE_CATEGORIES if n < bound), "n>10M")


def _guidelines(settings: BuildSettings) -> str:
    where = settings.guidelines
    if where.startswith(("http://", "https://")):
        return f"the annotation guidelines are at <{where}>."
    project = f" ({settings.homepage})" if settings.homepage else ""
    return f"the annotation guidelines are `{where}` in the winnow repository{project}."


def card_data(rows: Mapping[str, Mapping[str, list]], infos: Any, settings: BuildSettings, restricted: bool):
    """The card's YAML as a ``huggingface_hub.DatasetCardData`` (configs + ``dataset_info`` from datasets).
    A build with restricted texts gets license ``other`` and a title that says so."""
    from huggingface_hub import DatasetCardData

    data = DatasetCardData(
        language=["en"], license="other" if restricted else settings.license, annotations_creators=["expert-generated"],
        language_creators=["found"], multilinguality=["monolingual"], source_datasets=["original"],
        size_categories=[size_category(sum(len(r) for r in rows["sentences"].values()))],
        task_categories=["text-classification"],
        pretty_name=f"{RESTRICTED_TITLE}{settings.pretty_name}" if restricted else settings.pretty_name,
        tags=["news", "boilerplate-removal", "web-text-cleaning", "stance"],
        configs=[{"config_name": config, "data_files": [{"split": split, "path": shard_path(config, split)}
                                                         for split in rows[config]]}
                 for config in CONFIGS],
    )
    infos.to_dataset_card_data(data)
    return data


def _table(header: Sequence[str], body: Iterable[Sequence[Any]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in body]
    return "\n".join(lines)


def _distribution(rows: Mapping[str, list[dict]], column: str, names: Sequence[str]) -> str:
    splits = list(rows)
    counts = {split: Counter(r[column] for r in rows[split]) for split in splits}
    body = [[name] + [counts[s][i] for s in splits] + [sum(counts[s][i] for s in splits)]
            for i, name in enumerate(names)]
    if column != "label":
        body.append(["(-1: not applicable)"] + [counts[s][NO_VALUE] for s in splits]
                    + [sum(counts[s][NO_VALUE] for s in splits)])
    return _table([column] + splits + ["total"], body)


def _split_table(rows: Mapping[str, Mapping[str, list[dict]]]) -> str:
    body = []
    for split, articles in rows["articles"].items():
        sites = sorted({a["site"] for a in articles})
        body.append([split, len(sites), len(articles), len(rows["sentences"][split]), ", ".join(sites)])
    return _table(["split", "sites", "articles", "sentences", "site names"], body)


def _cell(value: Any) -> str:
    if value is None:
        return "n/a"
    return f"{value:.3f}" if isinstance(value, float) else str(value)


def _agreement_table(agreement: Mapping[str, Any]) -> str:
    """Scalar agreement numbers as a table: one row per dimension when the values are dicts (lists such as
    per-pair results are left out: they name annotators)."""
    if all(isinstance(v, Mapping) for v in agreement.values()):
        columns = list(dict.fromkeys(k for v in agreement.values() for k, x in v.items()
                                     if not isinstance(x, list | dict)))
        return _table(["dimension", *columns], [[dim, *(_cell(v.get(c)) for c in columns)]
                                                for dim, v in sorted(agreement.items())])
    return _table(["measure", "value"], [[k, _cell(v)] for k, v in sorted(agreement.items())
                                         if not isinstance(v, list | dict)])


def _agreement_section(rows: Mapping[str, Mapping[str, list[dict]]], settings: BuildSettings) -> str:
    sentences = [r for split in rows["sentences"].values() for r in split]
    multi = [r for r in sentences if r["annotator_count"] > 1]
    observed = (f"In this release {len(multi)} of {len(sentences)} sentences have two or more annotators; "
                f"they all agree on {sum(r['agreement'] for r in multi)} of them." if multi else
                "In this release no sentence has more than one annotator, so `agreement` is trivially true; "
                "filter on `annotator_count > 1` when it matters.")
    if settings.agreement:
        numbers = _agreement_table(settings.agreement)
        evaluated = ("Inter-annotator agreement on all gold annotations, from the project's evaluation "
                     "(`make eval`):\n\n" + numbers)
    else:
        evaluated = "Inter-annotator agreement from the evaluation: not yet computed (`make eval`)."
    return f"{evaluated}\n\n{observed}"


def _annotator_summary(annotations: Sequence[dict], settings: BuildSettings) -> str:
    people = {r["annotator"] for r in annotations}
    sources = Counter(r["source"] for r in annotations)
    adjudicators = sorted(people & set(settings.adjudicators))
    return (f"{len(people)} annotator(s) made {len(annotations)} annotation record(s) "
            f"({', '.join(f'{n} via {s}' for s, n in sorted(sources.items()))}); "
            f"{'adjudication by ' + ', '.join(adjudicators) if adjudicators else 'no adjudication records'}. "
            "Annotator names are not published.")


def _rights_section(rows: Mapping[str, Mapping[str, list[dict]]], manifest: Mapping[str, Any],
                    settings: BuildSettings) -> str:
    notes = sorted({(a["site"], a["rights_note"] or "(no note)") for split in rows["articles"].values()
                    for a in split})
    excluded = len(manifest["excluded"]["rights"])
    return (
        f"The annotations, splits and card are released under `{settings.license}`. The source texts keep "
        "their own terms: only articles whose metadata marks them as redistributable are included "
        f"({excluded} article(s) were excluded for rights at build time). Terms per site:\n\n"
        + _table(["site", "rights note"], notes)
    )


def _example(rows: Mapping[str, Mapping[str, list[dict]]]) -> str:
    split = next(iter(rows["sentences"]))
    row = dict(rows["sentences"][split][0])
    named = {"label": LABELS, "kind": KINDS, "stance": STANCES}
    comments = ", ".join(f"{k}={row[k]} ({names[row[k]] if row[k] != NO_VALUE else 'n/a'})"
                         for k, names in named.items())
    return f"A `sentences` row ({split}; {comments}):\n\n```json\n{json.dumps(row, indent=2, ensure_ascii=False)}\n```"


def card_body(rows: Mapping[str, Mapping[str, list[dict]]], manifest: Mapping[str, Any],
              settings: BuildSettings, annotations: Sequence[dict]) -> str:
    """The card's prose (markdown after the YAML header)."""
    sent = rows["sentences"]
    restricted = manifest["restricted_articles"]
    warning = (
        f"> **WARNING: LOCAL BUILD WITH RESTRICTED TEXTS.** This folder contains {len(restricted)} article(s) "
        "whose rights do not allow redistribution (built with `--include-restricted`). Keep it private; "
        "`winnow dataset publish` refuses it.\n\n" if restricted else "")
    year = max((str(r["created_at"])[:4] for r in annotations), default="")
    unresolved = len(manifest["excluded"]["unresolved_sentences"])
    homepage = f" ({settings.homepage})" if settings.homepage else ""
    sections = [
        f"# {RESTRICTED_TITLE if restricted else ''}{settings.pretty_name}\n\n{warning}"
        "Sentences of plain-text news web page dumps, each labelled by people as article **content** or page "
        "**boilerplate** (with the kind of boilerplate), and content sentences with their **stance** toward "
        f"the article's stance target. Made with winnow{homepage}, a tool that separates reporting from page "
        "cruft in text dumps, to train and evaluate such classifiers.",
        "## Dataset structure\n\nTwo configs: `load_dataset(REPO, \"sentences\")` (one row per gold-labelled "
        "sentence) and `load_dataset(REPO, \"articles\")` (one row per article with at least one of them)."
        "\n\n### sentences\n\n"
        + _table(["field", "meaning"], SENTENCE_FIELDS) + "\n\n### articles\n\n"
        + _table(["field", "meaning"], ARTICLE_FIELDS) + "\n\n" + _example(rows),
        "## Splits\n\nSplits are by site, so no site (hence no article) is in two splits: a site's split is "
        "fixed by `sha1(site) % 100` (<80 train, <90 validation, else test); with too few sites to fill those "
        "buckets, sites are ranked by that hash and the last ~10% go to test, the ~10% before to validation "
        "(one site: train only; two: train and test). Deterministic: the same inputs give the same splits "
        "and byte-identical files.\n\n" + _split_table(rows),
        "## How it was built\n\n"
        "- **Segmentation**: each non-blank line (text block) of the dump is split into sentences with spaCy's "
        "blank English tokenizer and rule-based sentencizer; no sentence crosses a line break.\n"
        f"- **Guidelines**: {_guidelines(settings)}\n"
        f"- **Annotators**: {_annotator_summary(annotations, settings)}\n"
        "- **Gold label**: the newest record of each annotator counts; an adjudicator's record wins; otherwise "
        "the label needs a unique plurality, then the kind/stance a unique plurality among those annotators. "
        f"{unresolved} tied sentence(s) without adjudication were left out. Sentences nobody labelled are not "
        "rows.\n\n" + _agreement_section(rows, settings),
        "## Label distributions per split (sentences)\n\n" + "\n\n".join(
            _distribution(sent, column, names) for column, names in
            (("label", LABELS), ("kind", KINDS), ("stance", STANCES))),
        "## Limitations and biases\n\n"
        "- Few sites and articles, English news only, and a narrow set of topics and stance targets: models "
        "trained on it will not transfer evenly to other sites, languages or genres.\n"
        "- Labels apply to sentences of text dumps, after layout is lost; the segmenter's mistakes (e.g. two "
        "sentences merged) are inherited, and some boilerplate/content calls are judgement calls.\n"
        "- Few annotators, and many sentences labelled by one person: check `annotator_count` and `agreement`."
        "\n- Stance is toward the `stance_target` given in the metadata, as read by the annotators; it is not "
        "a judgement of the article's truth or quality.\n"
        "- Site-level splits make validation and test measure transfer to unseen sites, a harder setting "
        "than a random split.",
        "## Source texts and rights\n\n" + _rights_section(rows, manifest, settings),
        "## Citation\n\n```bibtex\n@misc{winnow_dataset,\n  title  = {" + settings.pretty_name + "},\n"
        "  author = {{winnow contributors}},\n" + (f"  year   = {{{year}}},\n" if year else "")
        + (f"  url    = {{{settings.homepage}}},\n" if settings.homepage else "") + "}\n```",
    ]
    return "\n\n".join(sections) + "\n"


def build_card(rows: Mapping[str, Mapping[str, list[dict]]], infos: Any, manifest: Mapping[str, Any],
               settings: BuildSettings, annotations: Sequence[dict]):
    """The full ``huggingface_hub.DatasetCard``: library-made YAML + prose."""
    from huggingface_hub import DatasetCard

    data = card_data(rows, infos, settings, restricted=bool(manifest["restricted_articles"]))
    return DatasetCard(f"---\n{data.to_yaml()}\n---\n\n{card_body(rows, manifest, settings, annotations)}")
