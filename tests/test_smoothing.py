"""winnow.smoothing: the within-block chain against enumeration, compiled against Python, and what it does."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from winnow import smoothing
from winnow.features import article_bounds
from winnow.smoothing import fit_chain, smooth


def _chain(stay_boilerplate: float, stay_content: float, content_share: float) -> dict[str, np.ndarray]:
    return {"trans": np.array([[stay_boilerplate, 1 - stay_boilerplate], [1 - stay_content, stay_content]]),
            "prior": np.array([1 - content_share, content_share])}


def _enumerated(p: np.ndarray, chain: dict[str, np.ndarray]) -> np.ndarray:
    """P(content) of each sentence of one block by summing over every state path (the definition)."""
    prior, trans = chain["prior"], chain["trans"]
    emit = np.column_stack([(1 - p) / prior[0], p / prior[1]])
    post, total = np.zeros(len(p)), 0.0
    for path in itertools.product((0, 1), repeat=len(p)):
        prob = prior[path[0]] * emit[0, path[0]]
        for i in range(1, len(p)):
            prob *= trans[path[i - 1], path[i]] * emit[i, path[i]]
        total += prob
        post += prob * np.array(path)
    return post / total


@pytest.mark.parametrize("compiled", [True, False])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_posteriors_equal_enumeration_of_every_state_path(seed, compiled, monkeypatch):
    if not compiled:
        monkeypatch.setattr(smoothing, "_speedups", None)
    rng = np.random.default_rng(seed)
    lengths = [int(n) for n in rng.integers(1, 7, size=5)]
    p = rng.uniform(0.01, 0.99, size=sum(lengths))
    chain = _chain(*rng.uniform(0.5, 0.99, size=2), rng.uniform(0.2, 0.6))
    bounds = np.cumsum([0, *lengths])
    expected = np.concatenate([_enumerated(p[lo:hi], chain) for lo, hi in zip(bounds[:-1], bounds[1:], strict=True)])
    np.testing.assert_allclose(smooth(p, bounds, chain), expected, rtol=0, atol=1e-12)


@pytest.mark.skipif(smoothing._speedups is None, reason="winnow._speedups is not built")
def test_compiled_pass_equals_the_python_definition_to_the_bit():
    rng = np.random.default_rng(7)
    lengths = [int(n) for n in rng.integers(1, 40, size=400)]
    p = rng.uniform(size=sum(lengths))
    p[rng.integers(0, len(p), size=50)] = rng.choice([0.0, 1.0, 0.5], size=50)  # clipped, and exact ties
    bounds = np.cumsum([0, *lengths]).astype(np.int64)
    chain = _chain(0.99, 0.995, 0.38)
    clipped = np.clip(p, smoothing.EPS, 1 - smoothing.EPS)
    args = (clipped, bounds, chain["trans"].reshape(-1), chain["prior"])
    compiled = smoothing._speedups.chain_posteriors(*args)
    assert np.array_equal(compiled, smoothing._posteriors_python(*args))
    expected = compiled.copy()
    alone = bounds[:-1][np.diff(bounds) == 1]
    expected[alone] = p[alone]  # a sentence alone in its block: its own score, unclipped
    assert np.array_equal(smooth(p, bounds, chain), expected)


def test_a_sentence_alone_in_its_block_keeps_its_exact_score():
    p = np.array([0.0, 1.0, 0.5, 0.31, 0.9, 0.2])
    bounds = np.array([0, 1, 2, 3, 4, 6])  # four blocks of one sentence, one of two
    out = smooth(p, bounds, _chain(0.99, 0.99, 0.4))
    assert out[:4].tolist() == [0.0, 1.0, 0.5, 0.31]
    assert out[4] != 0.9 and out[5] != 0.2


def test_blocks_do_not_smooth_each_other():
    chain = _chain(0.99, 0.99, 0.4)
    p = np.array([0.95, 0.45, 0.95, 0.1, 0.1])
    bounds = np.array([0, 3, 5])
    changed = p.copy()
    changed[3:] = [0.9, 0.99]  # the second block only
    assert np.array_equal(smooth(p, bounds, chain)[:3], smooth(changed, bounds, chain)[:3])


def test_an_uncertain_sentence_goes_with_its_block_and_stays_alone_on_its_own():
    """Chain counted from pages whose blocks are all content or all boilerplate: a sentence at 0.45 inside a
    confident paragraph is kept, the same sentence on a line of its own between paragraphs is not."""
    labels, articles, blocks = [], [], []
    for page in range(30):
        for block in range(12):
            label = int(3 <= block < 9)
            labels += [label] * 4
            articles += [f"page{page}"] * 4
            blocks += [block] * 4
    chain = fit_chain(labels, article_bounds(articles, blocks))
    assert chain["trans"][1, 1] > 0.95 and chain["trans"][0, 0] > 0.95
    inside = smooth(np.array([0.97, 0.45, 0.96]), np.array([0, 3]), chain)
    assert inside[1] > 0.5 and inside.min() > 0.9
    alone = smooth(np.array([0.97, 0.45, 0.96]), np.array([0, 1, 2, 3]), chain)
    assert alone[1] == 0.45
    boilerplate = smooth(np.array([0.05, 0.55, 0.02]), np.array([0, 3]), chain)
    assert boilerplate.max() < 0.5  # and a doubtful sentence in a cruft line is dropped with it


def test_chain_counts_pairs_within_blocks_only():
    articles = ["a", "a", "a", "a", "b", "b"]
    blocks = [0, 0, 1, 1, 0, 0]
    labels = [1, 1, 0, 1, 0, 0]
    bounds = article_bounds(articles, blocks)
    assert bounds.tolist() == [0, 2, 4, 6]
    chain = fit_chain(labels, bounds)
    # pairs within a block: (1, 1), (0, 1), (0, 0); each count plus one
    np.testing.assert_allclose(chain["trans"], [[2 / 4, 2 / 4], [1 / 3, 2 / 3]])
    np.testing.assert_allclose(chain["prior"], [4 / 8, 4 / 8])  # three of each label, plus one
    assert smoothing.chain_summary(chain) == {"content_after_content_in_block": 0.6667,
                                              "boilerplate_after_boilerplate_in_block": 0.5,
                                              "content_share": 0.5}


def test_block_bounds_split_at_pages_and_lines():
    assert article_bounds(["a", "a", "b", "b", "b"], [3, 3, 3, 4, 4]).tolist() == [0, 2, 3, 5]
    assert article_bounds([], []).tolist() == [0]


def test_bad_inputs_are_clear_errors():
    chain = _chain(0.9, 0.9, 0.4)
    with pytest.raises(ValueError, match="no sentences"):
        fit_chain([], np.array([0]))
    with pytest.raises(ValueError, match="bounds"):
        smooth(np.array([0.5, 0.5]), np.array([0, 1]), chain)
    with pytest.raises(ValueError, match="bounds"):
        smooth(np.array([0.5, 0.5]), np.array([0, 2, 1, 2]), chain)
    with pytest.raises(ValueError, match="transition"):
        smooth(np.array([0.5]), np.array([0, 1]), {"trans": np.ones(3), "prior": np.ones(2) / 2})
    assert smooth(np.zeros(0), np.array([0]), chain).shape == (0,)
