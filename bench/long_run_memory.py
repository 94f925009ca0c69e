"""Memory of one long `winnow clean` run: does it stay bounded over tens of thousands of pages?

A run over millions of pages keeps one process alive for hours, and the segmenter keeps what it learns: the
spaCy tokens of every distinct chunk it has tokenized (a cache) and spaCy's vocabulary of strings. Both are
dropped together when the cache reaches ``_Sentencizer.CACHE_LIMIT`` chunks (the pipeline is built afresh), so
memory should rise while they fill and stay level after.

The corpus pages (read in place from ``--corpora``, else $WINNOW_CORPORA, else ../shared/corpora) are rendered to
dumps in a temporary directory; a fresh child process reads them as ``winnow clean`` does and cleans them
``--passes`` times (batch tuning, then :func:`winnow.clean.predict_texts` and the kept text joined), so its memory
is that of a cleaning run alone. Pass k (from 0) rotates every digit by k mod 10, and from the 11th pass on also
swaps every ASCII letter's case, so each pass brings chunks the segmenter has not seen; a pass repeats its own
words, so a real stream of new pages fills the cache sooner. After each pass: resident memory, the peak so far,
the cache's chunks, spaCy's strings, pages per second.

Writes ``bench/long-run-memory.json`` (numbers only: no corpus text) and ``bench/long-run-memory.md``.

    python bench/long_run_memory.py [--passes 20] [--per-corpus 0] [--model train/model.skops]
"""

from __future__ import annotations

import argparse
import itertools
import json
import platform
import resource
import string
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))

from throughput import corpora_root, load_sample  # noqa: E402  (the benchmark's own page sample)

from winnow.memory import peak_memory_mb  # noqa: E402

MAX_PASSES = 20  # digits rotate by 0..9, then again with ASCII letters' case swapped: 20 distinct passes


def resident_mib() -> float | None:
    """This process's resident memory now (Linux /proc; the peak so far elsewhere)."""
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
        return pages * resource.getpagesize() / 2**20
    except (OSError, IndexError, ValueError):
        return peak_memory_mb()


def rotated(paths: list[Path], k: int) -> Iterator[tuple[str, str]]:
    """Pass ``k``'s pages, read one at a time as `winnow clean` reads them: every ASCII digit d becomes
    (d + k) mod 10, for k >= 10 every ASCII letter's case is swapped too, and the ids are made distinct."""
    from winnow.textio import read_article

    table = str.maketrans("0123456789", "".join(str((d + k) % 10) for d in range(10)))
    if k >= 10:
        table.update(str.maketrans(string.ascii_letters, string.ascii_letters.swapcase()))
    for path in paths:
        yield f"{path.stem}-{k}", read_article(path).text.translate(table)


def run(paths: list[Path], model_path: str, passes: int) -> tuple[list[dict], str]:
    """Clean the dumps at ``paths`` ``passes`` times in this process: one row of measurements per pass, and the model's
    version."""
    from winnow import segment
    from winnow.clean import join_kept, predict_texts
    from winnow.memory import tune_for_batches
    from winnow.model import load_model

    tune_for_batches()  # as `winnow clean` does
    model = load_model(model_path)
    segment.segment_text("warm-up", "Build the spaCy segmenter. It takes a second, once.")
    rows, done = [], 0
    for k in range(passes):
        start = time.perf_counter()
        for _, text, records, p in predict_texts(rotated(paths, k), model, ids=False):
            join_kept(text, records, model.keep(p, records))
            done += 1
        seconds = time.perf_counter() - start
        sentencizer = segment._sentencizer()
        rss = resident_mib()
        rows.append({"pass": k + 1, "pages": done, "rss_mib": None if rss is None else round(rss, 1),
                     "peak_mib": peak_memory_mb(), "chunk_cache": len(sentencizer.cache),
                     "spacy_strings": len(sentencizer.nlp.vocab.strings),
                     "pages_per_second": round(len(paths) / seconds, 1)})
        print(f"pass {k + 1:2d}: {done:7d} pages, RSS {rows[-1]['rss_mib']:7.1f} MiB (peak {rows[-1]['peak_mib']:.1f}),"
              f" chunk cache {rows[-1]['chunk_cache']:7d}, spaCy strings {rows[-1]['spacy_strings']:7d},"
              f" {rows[-1]['pages_per_second']:.1f} pages/s", file=sys.stderr, flush=True)
    return rows, model.version


def summary(rows: list[dict], cache_limit: int) -> dict:
    """When the cache was dropped (RSS before and after each drop), and how much RSS grew after the first pass."""
    drops = [{"after_pass": b["pass"], "rss_before_mib": a["rss_mib"], "rss_after_mib": b["rss_mib"]}
             for a, b in itertools.pairwise(rows) if b["chunk_cache"] < a["chunk_cache"]]
    return {"cache_limit": cache_limit, "cache_drops": drops,
            "rss_growth_after_first_pass_mib": round(rows[-1]["rss_mib"] - rows[0]["rss_mib"], 1),
            "rss_max_mib": max(row["rss_mib"] for row in rows)}


def markdown(result: dict) -> str:
    s = result["summary"]
    lines = [
        "# Memory of one long `winnow clean` run (`make bench-memory`)", "",
        f"{result['pages_per_pass']} corpus pages ({result['dump_mb']} MB of dumps) cleaned {len(result['rows'])} "
        f"times in one process, digits rotated by the pass number (from pass 11 on, letters' case swapped too); "
        f"model {result['model_version']}; "
        f"{result['machine']}. The segmenter drops its chunk cache and spaCy's strings at "
        f"{s['cache_limit']:,} chunks.", "",
        "| pass | pages so far | RSS (MiB) | peak (MiB) | chunk cache | spaCy strings | pages/s |",
        "|---:|---:|---:|---:|---:|---:|---:|",
        *(f"| {r['pass']} | {r['pages']:,} | {r['rss_mib']} | {r['peak_mib']} | {r['chunk_cache']:,} | "
          f"{r['spacy_strings']:,} | {r['pages_per_second']} |" for r in result["rows"]),
        "",
        f"- RSS from the end of pass 1 to the end: {s['rss_growth_after_first_pass_mib']:+} MiB "
        f"(most {s['rss_max_mib']} MiB)",
        *(f"- the cache and spaCy's strings dropped in pass {d['after_pass']}: RSS {d['rss_before_mib']} → "
          f"{d['rss_after_mib']} MiB (the allocator keeps freed memory for the next batches, so RSS stops growing "
          "rather than falling)" for d in s["cache_drops"]),
        *(["- the cache was not dropped: raise --passes or --per-corpus"] if not s["cache_drops"] else []),
    ]
    return "\n".join(lines) + "\n"


def child(work: Path, model_path: str, passes: int) -> None:
    """The measured process: read the dumps as `winnow clean` does, clean them, print the rows as JSON."""
    rows, version = run(sorted(work.glob("*.txt")), model_path, passes)
    print(json.dumps({"rows": rows, "model_version": version}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--passes", type=int, default=MAX_PASSES, help=f"passes over the pages (1-{MAX_PASSES})")
    parser.add_argument("--per-corpus", type=int, default=0, help="first N pages of each corpus (0: all)")
    parser.add_argument("--corpora", help="corpora root (default $WINNOW_CORPORA or ../shared/corpora)")
    parser.add_argument("--model", default=str(REPO / "train" / "model.skops"))
    parser.add_argument("--out", default=str(REPO / "bench" / "long-run-memory"), help="output path without suffix")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if not 1 <= args.passes <= MAX_PASSES:
        parser.error(f"--passes must be 1-{MAX_PASSES} (each pass's text is a distinct variant of the pages)")
    if args.child:
        child(Path(args.child), args.model, args.passes)
        return
    from winnow import segment
    from winnow.jsonio import write_text_atomic
    from winnow.textio import render_html

    with tempfile.TemporaryDirectory(prefix="winnow-memory-") as work:
        size = 0
        for page in load_sample(corpora_root(args.corpora), args.per_corpus):
            try:
                text = render_html(page["html"])
            except ValueError:  # lxml refuses some pages (control characters), as in the throughput benchmark
                continue
            if text.strip():
                (Path(work) / f"{page['key']}.txt").write_text(text, encoding="utf-8")
                size += len(text.encode("utf-8"))
        pages = len(list(Path(work).glob("*.txt")))
        command = [sys.executable, __file__, "--child", work, "--model", args.model, "--passes", str(args.passes)]
        measured = subprocess.run(command, check=True, stdout=subprocess.PIPE, text=True)  # progress on stderr
    lines = measured.stdout.strip().splitlines()
    result = {"pages_per_pass": pages, "dump_mb": round(size / 1e6, 3), **json.loads(lines[-1]),
              "machine": f"{platform.machine()}, Python {platform.python_version()}"}
    result["summary"] = summary(result["rows"], segment._Sentencizer.CACHE_LIMIT)
    out = Path(args.out)
    write_text_atomic(out.with_suffix(".json"), json.dumps(result, indent=2) + "\n")
    write_text_atomic(out.with_suffix(".md"), markdown(result))
    print(markdown(result))


if __name__ == "__main__":
    main()
