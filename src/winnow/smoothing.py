"""Smoothing of P(content) within each text block: a two-state hidden-Markov chain over a line's sentences.

A block (one line of the dump: a paragraph, a list item, a caption) is mostly all reporting or all cruft, but
the classifier decides each of its sentences alone, and sometimes keeps half a paragraph. The chain weighs each
sentence's score against the other sentences of its block:

* states: boilerplate (0) and content (1);
* emissions: the classifier's P(content) over the training share of content, and P(boilerplate) over the
  share of boilerplate (a "hybrid" HMM: a discriminative score turned into a scaled likelihood);
* transitions: counted from the training labels of consecutive sentences of one block, each count plus one;
  a block's first state is drawn from the training shares, so a sentence alone in its block keeps its score
  (exactly: the chain skips it).

The smoothed score is each sentence's posterior P(content | every score of its block) (forward-backward, each
step normalised). Blocks do not smooth each other: a chain across block breaks also keeps an uncertain caption
or appeal line that sits between paragraphs of the body (measured: docs/measurements.md).

The forward-backward pass is compiled in ``winnow._speedups.chain_posteriors`` where it is built; its Python
definition is :func:`_posteriors_python` (tests compare the two to the last bit).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

try:
    from winnow import _speedups
except ImportError:  # pragma: no cover - depends on the install
    _speedups = None

EPS = 1e-6  # P(content) is clipped to [EPS, 1 - EPS] before it becomes an emission
PSEUDOCOUNT = 1.0  # added to every transition and label count

Chain = dict[str, np.ndarray]  # "trans" (2, 2): [from, to] within a block; "prior" (2,): the label shares


def fit_chain(labels: Sequence[int], bounds: np.ndarray) -> Chain:
    """The chain's within-block transitions and label shares, counted from labelled sentences (blocks as
    :func:`smooth` takes them)."""
    labels = np.asarray(labels, dtype=np.int64)
    if len(labels) == 0:
        raise ValueError("cannot fit the smoothing chain on no sentences")
    starts = np.zeros(len(labels), dtype=bool)
    starts[bounds[:-1]] = True
    pair = ~starts[1:]  # the pair (i - 1, i) lies inside one block
    counts = np.full((2, 2), PSEUDOCOUNT)
    np.add.at(counts, (labels[:-1][pair], labels[1:][pair]), 1)
    prior = np.bincount(labels, minlength=2) + PSEUDOCOUNT
    return {"trans": counts / counts.sum(axis=1, keepdims=True), "prior": prior / prior.sum()}


def smooth(p: np.ndarray, bounds: np.ndarray, chain: Chain) -> np.ndarray:
    """Posterior P(content) of every sentence given the scores ``p`` of its block (block k is rows
    ``bounds[k]:bounds[k + 1]``: :func:`winnow.features.article_bounds` of the pages and blocks)."""
    scores = np.asarray(p, dtype=np.float64)
    p = np.ascontiguousarray(np.clip(scores, EPS, 1 - EPS))
    bounds = np.ascontiguousarray(bounds, dtype=np.int64)
    trans = np.ascontiguousarray(chain["trans"], dtype=np.float64).reshape(-1)
    prior = np.ascontiguousarray(chain["prior"], dtype=np.float64)
    if len(bounds) == 0 or bounds[0] != 0 or bounds[-1] != len(p) or np.any(np.diff(bounds) < 0):
        raise ValueError("bounds must cover the scores, block after block")
    if trans.shape != (4,) or prior.shape != (2,):
        raise ValueError("the chain needs a (2, 2) transition matrix and 2 label shares")
    if _speedups is not None:
        out = _speedups.chain_posteriors(p, bounds, trans, prior)
    else:
        out = _posteriors_python(p, bounds, trans, prior)
    alone = bounds[:-1][np.diff(bounds) == 1]
    out[alone] = scores[alone]  # unclipped
    return out


def _posteriors_python(p: np.ndarray, bounds: np.ndarray, trans: np.ndarray, prior: np.ndarray) -> np.ndarray:
    """Forward-backward block by block, in the exact order of operations of the compiled version."""
    out = np.empty(len(p))
    values = p.tolist()
    t00, t01, t10, t11 = trans.tolist()
    q0, q1 = float(prior[0]), float(prior[1])
    for lo, hi in zip(bounds[:-1].tolist(), bounds[1:].tolist(), strict=True):
        if hi - lo == 1:  # a sentence alone in its block keeps its score (:func:`smooth` unclips it)
            out[lo] = values[lo]
            continue
        emit = [((1.0 - v) / q0, v / q1) for v in values[lo:hi]]
        forward = []
        f0, f1 = 0.0, 0.0
        for i, (e0, e1) in enumerate(emit):
            if i == 0:
                g0, g1 = q0 * e0, q1 * e1
            else:
                g0, g1 = (f0 * t00 + f1 * t10) * e0, (f0 * t01 + f1 * t11) * e1
            z = g0 + g1
            f0, f1 = g0 / z, g1 / z
            forward.append((f0, f1))
        b0, b1 = 1.0, 1.0
        for i in range(hi - lo - 1, -1, -1):
            a0, a1 = forward[i]
            g0, g1 = a0 * b0, a1 * b1
            out[lo + i] = g1 / (g0 + g1)
            c0, c1 = emit[i][0] * b0, emit[i][1] * b1
            n0, n1 = t00 * c0 + t01 * c1, t10 * c0 + t11 * c1
            z = n0 + n1
            b0, b1 = n0 / z, n1 / z
    return out


def chain_summary(chain: Chain) -> dict[str, Any]:
    """The chain's probabilities, rounded, for the model card."""
    trans = np.asarray(chain["trans"])
    return {"content_after_content_in_block": round(float(trans[1, 1]), 4),
            "boilerplate_after_boilerplate_in_block": round(float(trans[0, 0]), 4),
            "content_share": round(float(chain["prior"][1]), 4)}
