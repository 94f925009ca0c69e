"""A spaCy pipeline component: ``nlp.add_pipe("winnow")`` scores every sentence of a doc.

Sets ``Span._.p_content`` (P(content)) and ``Span._.is_boilerplate`` on ``doc.sents``. The doc needs sentence
boundaries first (a ``sentencizer``/``senter``/parser earlier in the pipeline). The model scores winnow's own
sentences of ``doc.text`` (split per line, as in training); each spaCy sentence gets the overlap-weighted
mean of the scores of the winnow sentences it overlaps, so any sentence splitter upstream works.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from spacy.language import Language
from spacy.tokens import Doc, Span

from winnow.decode import AUTO, Threshold, keep_mask, parse_threshold
from winnow.model import DEFAULT_MODEL_PATH, load_model
from winnow.segment import segment_text

if not Span.has_extension("p_content"):
    Span.set_extension("p_content", default=None)
if not Span.has_extension("is_boilerplate"):
    Span.set_extension("is_boilerplate", default=None)


class WinnowComponent:
    def __init__(self, model_path: str | Path, threshold: Threshold | None):
        self.model = load_model(model_path)
        self.threshold = self.model.threshold if threshold is None else parse_threshold(threshold)

    def __call__(self, doc: Doc) -> Doc:
        if not doc.has_annotation("SENT_START"):
            raise ValueError("the winnow component needs sentence boundaries: add a 'sentencizer' before it")
        records = segment_text("doc", doc.text)
        if not records:
            return doc
        (p,) = self.model.predict_proba([records])
        kept = keep_mask(p, self.threshold, [r["text"] for r in records]).astype(np.float64)
        starts = np.array([r["char_start"] for r in records])
        ends = np.array([r["char_end"] for r in records])
        for sent in doc.sents:
            overlap = np.clip(np.minimum(ends, sent.end_char) - np.maximum(starts, sent.start_char), 0, None)
            if overlap.sum() == 0:
                continue  # whitespace-only sentence
            prob = float(np.average(p, weights=overlap))
            sent._.p_content = prob
            # a fixed threshold reads the sentence's own P; "auto" keeps whole winnow sentences of the page, so a
            # spaCy sentence is content when most of its characters are kept
            sent._.is_boilerplate = (prob < self.threshold if self.threshold != AUTO
                                     else float(np.average(kept, weights=overlap)) < 0.5)
        return doc


@Language.factory("winnow", default_config={"model": str(DEFAULT_MODEL_PATH), "threshold": None})
def make_winnow(nlp: Language, name: str, model: str, threshold: float | str | None) -> WinnowComponent:
    return WinnowComponent(model, threshold)
