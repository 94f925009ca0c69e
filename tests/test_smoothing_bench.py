"""bench/smoothing.py: forward-backward and Viterbi against brute-force enumeration, and what smoothing does."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from .conftest import load_bench

sm = load_bench("smoothing")


def _random_chain(rng: np.random.Generator, lengths: list[int], n_states: int, n_taus: int):
    """Random emissions (K, n, S), per-row transitions and starts for articles of ``lengths``."""
    n = sum(lengths)
    first = np.zeros(n, bool)
    first[np.cumsum([0, *lengths[:-1]])] = True
    emit = rng.uniform(0.01, 1.0, size=(n_taus, n, n_states))
    trans = rng.uniform(0.05, 1.0, size=(n, n_states, n_states))
    trans /= trans.sum(axis=2, keepdims=True)
    start = rng.uniform(0.05, 1.0, size=(n, n_states))
    start /= start.sum(axis=1, keepdims=True)
    return emit, trans, start, first


def _joint(emit_k: np.ndarray, trans: np.ndarray, start: np.ndarray, s: int, path: tuple[int, ...]) -> float:
    """Unnormalised probability of one article's state path (article starts at row s)."""
    prob = start[s, path[0]] * emit_k[s, path[0]]
    for i in range(1, len(path)):
        prob *= trans[s + i, path[i - 1], path[i]] * emit_k[s + i, path[i]]
    return prob


def _brute_force(emit, trans, start, lengths, n_states):
    """Posteriors (K, n, S) and argmax paths (K, n) by enumerating every state sequence of every article."""
    n_taus, n, _ = emit.shape
    post = np.zeros((n_taus, n, n_states))
    best = np.zeros((n_taus, n), int)
    for k in range(n_taus):
        s = 0
        for m in lengths:
            paths = list(itertools.product(range(n_states), repeat=m))
            probs = np.array([_joint(emit[k], trans, start, s, path) for path in paths])
            for path, prob in zip(paths, probs, strict=True):
                post[k, s + np.arange(m), path] += prob
            post[k, s:s + m] /= probs.sum()
            best[k, s:s + m] = paths[int(np.argmax(probs))]
            s += m
    return post, best


@pytest.mark.parametrize("n_states", [2, 4])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_forward_backward_and_viterbi_equal_enumeration(n_states, seed):
    rng = np.random.default_rng(seed)
    lengths = [int(x) for x in rng.integers(1, 6 if n_states == 2 else 5, size=3)]
    emit, trans, start, first = _random_chain(rng, lengths, n_states, n_taus=2)
    post, best = _brute_force(emit, trans, start, lengths, n_states)
    np.testing.assert_allclose(sm.state_posteriors(emit, trans, start, first), post, rtol=0, atol=1e-12)
    np.testing.assert_array_equal(sm.viterbi_states(emit, trans, start, first), best)


def _page(n_content: int, dip: int, dip_p: float):
    """One article: 5 boilerplate lines, a content run of 4-sentence blocks with one low sentence, 5 more lines."""
    labels = [0] * 5 + [1] * n_content + [0] * 5
    p = np.array([0.05] * 5 + [0.95] * n_content + [0.05] * 5)
    p[5 + dip] = dip_p
    blocks = list(range(5)) + [5 + i // 4 for i in range(n_content)] + [100 + i for i in range(5)]
    return labels, p, blocks


def test_isolated_low_sentence_in_a_content_run_is_raised():
    # Chain parameters counted from pages shaped like the test page (long content runs between cruft).
    train_labels, train_blocks, train_articles = [], [], []
    for a in range(20):
        labels, _, blocks = _page(40, 0, 0.95)
        train_labels += labels
        train_blocks += blocks
        train_articles += [f"a{a}"] * len(labels)
    train = sm.rows_from_arrays(train_articles, train_blocks, np.zeros(len(train_labels)), train_labels)
    labels, p, blocks = _page(40, 21, 0.3)
    page = sm.rows_from_arrays(["x"] * len(labels), blocks, p, labels)
    dip = 5 + 21
    for n_states, content_states in [(2, sm.CONTENT_STATES_2), (4, sm.CONTENT_STATES_4)]:
        params = {0: sm.fit_rows(train, n_states)}
        smoothed = sm.smoothed_scores(page, params, content_states, [1.0])[0]
        assert p[dip] < 0.5 < smoothed[dip], n_states
        assert np.all(smoothed[5:45] > 0.5) and np.all(smoothed[:5] < 0.5) and np.all(smoothed[45:] < 0.5)
        assert sm.viterbi_content(page, params, content_states, 1.0).tolist() == labels


def test_layout_states_and_out_of_fold_parameters():
    first = np.array([True, False, False, False, False, True, False])
    label = np.array([0, 1, 0, 1, 0, 0, 0])
    assert sm.layout_states(label, first).tolist() == [sm.HEADER, sm.CONTENT, sm.INLINE, sm.CONTENT, sm.FOOTER,
                                                       sm.HEADER, sm.HEADER]
    rng = np.random.default_rng(0)
    articles = np.repeat([f"a{i}" for i in range(30)], 10)
    fold = np.repeat(np.arange(30) % 3, 10)
    label = rng.integers(0, 2, size=300)
    rows = sm.rows_from_arrays(articles, np.arange(300) // 2, rng.uniform(size=300), label, fold)
    scrambled = sm.rows_from_arrays(articles, np.arange(300) // 2, rows.p, np.where(fold == 0, 1 - label, label), fold)
    for n_states in (2, 4):
        before, after = sm.out_of_fold_params(rows, n_states), sm.out_of_fold_params(scrambled, n_states)
        for key in ("trans", "start", "prior"):  # fold 0's parameters never see fold 0's labels
            np.testing.assert_array_equal(before[0][key], after[0][key])
            assert not np.array_equal(before[1][key], after[1][key])  # fold 1 does see them


def test_the_unseen_section_scores_the_products_output_and_pairs_each_difference(seed_model, toy_silver, tmp_path):
    """The shipped variant is what `winnow clean` keeps on each unseen page, the baseline what the classifier
    keeps unsmoothed; each variant is compared with the baseline on the same pages, and a missing model is a
    note, not an error."""
    from winnow.model import load_model
    from winnow.unseen import clean_pages, page_groups, page_shingle_rows, shingle_summary, trained_pages, unseen_pages

    work, _ = seed_model
    rows = sm.load_rows(work / "cv-predictions.parquet")
    result, note = sm.unseen_shingle(rows, work / "model.skops", toy_silver, ["toy"], 0.5, lambda _: None)
    ids, sites = trained_pages(work / "training-pages.parquet")
    pages, _ = unseen_pages(toy_silver, ["toy"], ids, sites)
    model = load_model(work / "model.skops")
    assert model.classifier.smoothing

    def kept(model) -> dict:
        outputs, _ = clean_pages(pages, model, by_site=False)
        return shingle_summary(page_shingle_rows([o["pred_text"] for o in outputs], pages), None, 10, 0)

    product = kept(model)
    model.classifier.set_params(smoothing=False)
    unsmoothed = kept(model)

    assert list(result) == list(page_groups(pages)) and "toy" in result and note.startswith(f"{len(pages)} pages")
    toy = result["toy"]
    assert list(toy) == ["baseline", sm.SHIPPED, *sm.UNSEEN_VARIANTS]
    assert toy[sm.SHIPPED]["f1"]["value"] == pytest.approx(product["f1"]["value"])
    assert toy["baseline"]["f1"]["value"] == pytest.approx(unsmoothed["f1"]["value"])
    for name in [sm.SHIPPED, *sm.UNSEEN_VARIANTS]:
        diff = toy[name]["f1_minus_reference"]
        assert diff["value"] == pytest.approx(toy[name]["f1"]["value"] - toy["baseline"]["f1"]["value"])
        assert diff["low"] <= diff["value"] <= diff["high"]
    section = "\n".join(sm.unseen_lines({"unseen": result, "unseen_note": note}))
    assert section.startswith("## Unseen sites") and f"| toy | {len(pages)} | " in section
    assert sm._unseen_verdict(result)[0].startswith(f"- Unseen sites, {sm.SHIPPED}: shingle F1 ")

    missing, why = sm.unseen_shingle(rows, tmp_path / "absent.skops", toy_silver, ["toy"], 0.5, lambda _: None)
    assert missing is None and "make train" in why


def test_the_seed_section_counts_hand_labels_each_variant_overrules(seed_model, seed_processed):
    """The baseline's count is the model's own unsmoothed decisions against the seed pages' hand labels; every
    variant is listed with the sentences it gets wrong."""
    from winnow.jsonio import read_jsonl
    from winnow.model import load_model
    from winnow.train import gold_content_labels

    from .conftest import REPO

    work, _ = seed_model
    rows = sm.load_rows(work / "cv-predictions.parquet")
    processed = seed_processed
    result, note = sm.seed_disagreements(rows, work / "model.skops", 0.5, processed, REPO / "annotations")
    assert list(result) == ["baseline", sm.SHIPPED, *sm.UNSEEN_VARIANTS]
    assert note.startswith("105 hand-labelled sentences of 2 seed pages")

    labels = gold_content_labels(REPO / "annotations")
    pages: dict[str, list] = {}
    for record in read_jsonl(processed / "sentences.jsonl"):
        pages.setdefault(record["article_id"], []).append(record)
    model = load_model(work / "model.skops")
    model.classifier.set_params(smoothing=False)
    articles = list(pages.values())
    wrong = sum(int((p >= 0.5) != bool(labels[r["sentence_id"]]))
                for article, probs in zip(articles, model.predict_proba(articles), strict=True)
                for r, p in zip(article, probs, strict=True))
    assert result["baseline"]["wrong"] == wrong
    for value in result.values():
        assert value["wrong"] == len(value["kept_boilerplate"]) + len(value["dropped_content"])
    section = "\n".join(sm.seed_lines({"seeds": result, "seeds_note": note}))
    assert f"| {sm.SHIPPED} | {result[sm.SHIPPED]['wrong']} |" in section

    missing, why = sm.seed_disagreements(rows, work / "absent.skops", 0.5, processed, REPO / "annotations")
    assert missing is None and "missing" in why


def _summary(value: float, low: float, high: float) -> dict:
    return {"f1": {"value": 0.9}, "f1_minus_reference": {"value": value, "low": low, "high": high}}


@pytest.mark.parametrize(("shipped_diff", "shipped_wrong", "expected"), [
    ((0.002, 0.001, 0.004), 0, "the product smooths within blocks"),
    ((-0.004, -0.006, -0.001), 0, "loses toy on unseen sites: reconsider"),
    ((0.002, 0.001, 0.004), 2, "overrules hand labels: reconsider"),
])
def test_the_decision_follows_the_numbers(shipped_diff, shipped_wrong, expected):
    seeds = {"baseline": {"wrong": 0}, sm.SHIPPED: {"wrong": shipped_wrong}, "hmm2 posterior tau=1": {"wrong": 3}}
    unseen = {"toy": {"baseline": {}, sm.SHIPPED: _summary(*shipped_diff),
                      "hmm2 posterior tau=1": _summary(0.01, 0.005, 0.02)}}
    lines = sm._decision({"unseen": unseen, "seeds": seeds})
    assert lines[0] == ("- Seed pages (in training): hand labels overruled by the classifier's threshold 0, by the "
                        f"{sm.SHIPPED} {shipped_wrong}, by hmm2 posterior tau=1 3.")
    assert expected in lines[1]
    assert "Chains across block breaks (hmm2 posterior tau=1) are not adopted" in lines[1]
