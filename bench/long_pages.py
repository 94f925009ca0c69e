"""Cleaning time against page size, for the page dumps where one "sentence" is the whole page.

A dump without sentence punctuation or line breaks (a scraped JSON blob, a minified page, a tag cloud) is one
block and one sentence of up to millions of words; every stage must stay linear in its length, or one such
page stalls a worker for minutes. The pages are generated here (no corpus text): one line of words drawn from
a small vocabulary (few distinct n-grams, many repeats), from a large one, and, as the control, the large one
with a full stop every 12 words. Each page is cleaned by :func:`winnow.clean.clean_text` in this process with
the model loaded once; the best of ``--repeats`` runs is kept.

Writes ``bench/long-pages.json`` and ``bench/long-pages.md``: seconds per page, and the growth of the time
when the page doubles (2.0 = linear, 4.0 = quadratic).

    python bench/long_pages.py [--model train/model.skops] [--max-words 800000]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import string
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
KINDS = ("few distinct words", "many distinct words", "many words, a full stop every 12 (control)")


def page(kind: str, n_words: int, seed: int = 0) -> str:
    """A one-line page of ``n_words`` words of the given kind (deterministic for a seed)."""
    rng = random.Random(seed)
    if kind == KINDS[0]:
        vocabulary = ["the", "council", "voted", "on", "budget", "and", "mayor", "said", "schools", "roads"]
    else:
        vocabulary = ["".join(rng.choice(string.ascii_lowercase) for _ in range(rng.randint(2, 9)))
                      for _ in range(50_000)]
    words = [rng.choice(vocabulary) for _ in range(n_words)]
    if kind == KINDS[2]:
        words = [word + "." if i % 12 == 11 else word for i, word in enumerate(words)]
    return " ".join(words)


def best_seconds(run, repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - start)
    return best


def measure(model, max_words: int, repeats: int) -> list[dict]:
    """Seconds to clean each page of each kind with a loaded ``WinnowModel``."""
    from winnow.clean import clean_text

    clean_text("A warm-up page. It loads spaCy.", model)
    sizes = []
    n = 25_000
    while n <= max_words:
        sizes.append(n)
        n *= 2
    rows = []
    for kind in KINDS:
        previous = None
        for n_words in sizes:
            text = page(kind, n_words)
            seconds = best_seconds(lambda text=text: clean_text(text, model), repeats)
            rows.append({"kind": kind, "words": n_words, "mb": round(len(text.encode("utf-8")) / 1e6, 2),
                         "seconds": round(seconds, 3),
                         "growth_when_doubled": None if previous is None else round(seconds / previous, 2)})
            print(f"{kind:45} {n_words:>9,} words {rows[-1]['mb']:6.2f} MB {seconds:8.3f} s", file=sys.stderr)
            previous = seconds
    return rows


def markdown(rows: list[dict], model_version: str) -> str:
    lines = [
        "# Cleaning time against page size: one-line pages",
        "",
        f"Built by `make bench-long` (`bench/long_pages.py`), model {model_version}, one process, best of the runs.",
        "Generated pages of one line (no corpus text); growth = this page's time over the time of the page half "
        "as long (2.0 linear, 4.0 quadratic).",
        "",
        "| page | words | MB | seconds | growth when doubled |",
        "|---|---:|---:|---:|---:|",
    ]
    for row in rows:
        growth = "–" if row["growth_when_doubled"] is None else f"{row['growth_when_doubled']:.2f}"
        lines.append(f"| {row['kind']} | {row['words']:,} | {row['mb']:.2f} | {row['seconds']:.3f} | {growth} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", type=Path, default=REPO / "train" / "model.skops")
    parser.add_argument("--max-words", type=int, default=800_000, help="largest page (doubling from 25,000)")
    parser.add_argument("--repeats", type=int, default=2, help="runs per page; the fastest is kept")
    parser.add_argument("--out-dir", type=Path, default=REPO / "bench")
    args = parser.parse_args()
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    from winnow.jsonio import write_text_atomic
    from winnow.memory import tune_for_batches
    from winnow.model import load_model

    tune_for_batches()
    model = load_model(args.model)
    rows = measure(model, args.max_words, args.repeats)
    version = model.version
    write_text_atomic(args.out_dir / "long-pages.json",
                      json.dumps({"model": version, "rows": rows}, indent=2) + "\n")
    report = markdown(rows, version)
    write_text_atomic(args.out_dir / "long-pages.md", report)
    print(report)


if __name__ == "__main__":
    main()
