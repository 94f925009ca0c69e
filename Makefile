# winnow -- `make help` lists the targets. Outputs are real files: stale ones rebuild, fresh ones are skipped.
SHELL := /bin/bash
.DEFAULT_GOAL := help
.DELETE_ON_ERROR:

PYTHON      ?= python3
VENV        := .venv
WINNOW      := $(VENV)/bin/winnow
PY          := $(VENV)/bin/python
CORPORA     ?= ../shared/corpora
INSTALLED   := $(VENV)/.installed
SRC         := $(shell find src/winnow -name '*.py' 2>/dev/null)

RAW_FILES   := $(filter-out data/raw/articles.jsonl,$(wildcard data/raw/*))
ANNOTATIONS := $(shell find annotations -name '*.jsonl' 2>/dev/null)
SENTENCES   := data/processed/sentences.jsonl
VALIDATED   := data/processed/.annotations-valid

MODEL        := train/model.skops
CORPUS_NAMES := $(notdir $(patsubst %/pages.jsonl.gz,%,$(wildcard $(CORPORA)/*/pages.jsonl.gz)))
SILVER_FILES := $(CORPUS_NAMES:%=data/interim/silver/%.parquet)
MODEL_SRC    := $(addprefix src/winnow/,features.py site_features.py model.py train.py segment.py corpus_refs.py \
                  _speedups.pyx)

# Label Studio's server lives in its own venv: in .venv it would downgrade pyarrow and python-dateutil.
LS_VERSION   := 1.23.2
LS_VENV      := .labelstudio/venv
LS_INSTALLED := $(LS_VENV)/.installed
LS_DATA      ?= .labelstudio/data
LS_PORT      ?= 8080
LS_ARGS      ?=

ABLATION_PAGES ?= 300

.PHONY: help setup all data train ablation test lint clean

help: ## Show this list of targets
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{printf "  %-14s %s\n", $$1, $$2}'

all: data train eval $(if $(SILVER_FILES),eval-unseen) ## Set up, then run the main job (data -> train -> eval, and eval-unseen when $(CORPORA) is there)

setup: $(INSTALLED) ## Create .venv and install winnow with pinned dependencies (constraints.txt)

$(INSTALLED): pyproject.toml constraints.txt setup.py src/winnow/_speedups.pyx
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c constraints.txt -e '.[dev,datatrove]'
	touch $@

data: $(VALIDATED) ## Verify checksums, segment data/raw into sentences, validate annotations/

$(SENTENCES): $(RAW_FILES) data/raw/articles.jsonl src/winnow/segment.py src/winnow/textio.py src/winnow/prepare.py | $(INSTALLED)
	$(WINNOW) segment --raw-dir data/raw --out-dir data/processed

$(VALIDATED): $(SENTENCES) $(ANNOTATIONS) src/winnow/annotations.py | $(INSTALLED)
	$(WINNOW) validate --annotations-dir annotations --sentences $(SENTENCES)
	touch $@

train: $(MODEL) ## Train the classifier on annotations/ + silver corpora in $(CORPORA) when present

$(MODEL): $(VALIDATED) train/config.toml $(SILVER_FILES) $(MODEL_SRC) | $(INSTALLED)
	$(WINNOW) train --config train/config.toml --model $@

ablation: $(VALIDATED) $(SILVER_FILES) | $(INSTALLED) ## Cross-validate model variants -> train/ablation.md (ABLATION_PAGES=300 per corpus)
	$(WINNOW) ablation --config train/config.toml --max-pages $(ABLATION_PAGES) --output train/ablation.md

train/learning-curve.json: $(MODEL)
	$(WINNOW) learning-curve --config train/config.toml --output $@

test: $(INSTALLED) $(LS_INSTALLED) ## Run the test suite (unit + integration; corpora tests need $(CORPORA))
	WINNOW_CORPORA=$(abspath $(CORPORA)) $(VENV)/bin/pytest -q

lint: $(INSTALLED) ## ruff check
	$(VENV)/bin/ruff check src tests

clean: ## Remove generated data, models and reports (keeps .venv)
	rm -rf data/processed data/interim data/dataset $(RUNS_DIR)
	rm -f train/model.skops train/model-card.json train/cv-predictions.parquet train/training-pages.parquet \
		$(LEARNING_CURVE)

# --- labelstudio (helper) ---

.PHONY: label-studio ls-import ls-export

$(LS_INSTALLED):
	test -x $(LS_VENV)/bin/python || $(PYTHON) -m venv $(LS_VENV)
	$(LS_VENV)/bin/python -m pip install --quiet --disable-pip-version-check label-studio==$(LS_VERSION)
	touch $@

label-studio: $(LS_INSTALLED) $(INSTALLED) ## Start a local Label Studio on 127.0.0.1 (LS_PORT=8080, data in .labelstudio/data)
	$(PY) -m winnow.labelstudio.server --data-dir $(LS_DATA) --port $(LS_PORT)

ls-import: $(SENTENCES) $(MODEL) | $(INSTALLED) ## Push sentences + model predictions to Label Studio (LS_ARGS="--strategy uncertain --limit 200")
	$(WINNOW) ls push --model $(MODEL) $(LS_ARGS)

ls-export: $(SENTENCES) | $(INSTALLED) ## Pull Label Studio annotations into annotations/labelstudio.jsonl (append-only)
	$(WINNOW) ls pull
# --- end labelstudio ---

# --- dataset (helper) ---
# The Hub folder: parquet shards + README.md card + build_manifest.json, only rights=redistributable articles
# (the build refuses when there are none). dataset-local also includes restricted texts, in a separate
# git-ignored folder that `publish` refuses, so the publishable folder never holds them.
DATASET_DIR    := data/dataset
DATASET_CARD   := $(DATASET_DIR)/README.md
LOCAL_DATASET  := data/interim/dataset-local
HF_REPO        ?=
PUBLISH_FLAGS  ?=
DATASET_INPUTS := $(VALIDATED) data/processed/articles.jsonl $(SENTENCES) $(ANNOTATIONS) $(wildcard eval/metrics.json) \
                  src/winnow/dataset.py src/winnow/cli_dataset.py

.PHONY: dataset dataset-local publish

dataset: $(DATASET_CARD) ## Build the Hub dataset folder data/dataset (redistributable articles only)

$(DATASET_CARD): $(DATASET_INPUTS) | $(INSTALLED)
	$(WINNOW) dataset build --processed-dir data/processed --annotations-dir annotations --out-dir $(DATASET_DIR)

dataset-local: $(LOCAL_DATASET)/README.md ## Same, restricted texts included, in data/interim/dataset-local (never published)

$(LOCAL_DATASET)/README.md: $(DATASET_INPUTS) | $(INSTALLED)
	$(WINNOW) dataset build --processed-dir data/processed --annotations-dir annotations --out-dir $(LOCAL_DATASET) --include-restricted

ifneq ($(filter publish,$(MAKECMDGOALS)),)
ifeq ($(strip $(HF_REPO)),)
$(error set the Hub repository id: make publish HF_REPO=owner/name [PUBLISH_FLAGS="--private --dry-run"])
endif
endif

publish: $(DATASET_CARD) ## Upload data/dataset to the Hub: make publish HF_REPO=owner/name [PUBLISH_FLAGS="--private --dry-run"]
	$(WINNOW) dataset publish "$(HF_REPO)" --dataset-dir $(DATASET_DIR) $(PUBLISH_FLAGS)
# --- end dataset ---

# --- eval (helper) ---
# Reads train/cv-predictions.parquet (site-held-out predictions from `make train`), the silver page tables and
# the pages' HTML in $(CORPORA) when present. metrics.json is reproducible; timings go to report.md/timing.json.
EVAL_DIR      := eval
EVAL_FLAGS    ?=
LEARNING_CURVE := train/learning-curve.json
EVAL_SRC      := $(addprefix src/winnow/,metrics.py baselines.py report.py evaluate.py agreement.py cli_evaluate.py)

.PHONY: eval

eval: $(EVAL_DIR)/metrics.json ## Evaluate model vs baselines: eval/metrics.json, report.md, plots (EVAL_FLAGS="--no-html --n-boot 200")

$(EVAL_DIR)/metrics.json: $(MODEL) $(VALIDATED) $(LEARNING_CURVE) $(EVAL_SRC) | $(INSTALLED)
	$(WINNOW) eval --out-dir $(EVAL_DIR) --corpora $(CORPORA) $(if $(LEARNING_CURVE),--learning-curve $(LEARNING_CURVE)) $(EVAL_FLAGS)

# The shipped model on every corpus page outside training whose site has no training page, against trafilatura
# on the same pages' HTML (read in place), and winnow at other --threshold values (unseen-threshold.png).
# unseen.{json,md,png} and unseen-threshold.png are reproducible and hold numbers only (no corpus text), so they
# are committed; the run's timings go to the git-ignored unseen-timing.json.
UNSEEN_FLAGS ?=
UNSEEN_SRC   := $(addprefix src/winnow/,unseen.py threshold_sweep.py clean.py metrics.py baselines.py evaluate.py \
                  corpus_refs.py cli_evaluate.py)

.PHONY: eval-unseen

eval-unseen: $(EVAL_DIR)/unseen.json ## Shipped model on unseen pages of unseen sites vs trafilatura, and at other thresholds: eval/unseen.{json,md,png} (~3 min)

$(EVAL_DIR)/unseen.json: $(MODEL) $(SILVER_FILES) train/config.toml $(UNSEEN_SRC) | $(INSTALLED)
	$(if $(SILVER_FILES),,$(error eval-unseen needs the corpora in CORPORA=$(CORPORA)))
	$(WINNOW) eval-unseen --out-dir $(EVAL_DIR) --corpora $(CORPORA) $(UNSEEN_FLAGS)

# A candidate config against train/config.toml, SEEDS runs each, on the pages none of the runs trained on.
SEEDS     ?= 0 1 2
RUNS_DIR  ?= runs
CANDIDATE ?=
CANDIDATE_NAME := $(basename $(notdir $(CANDIDATE)))
BASE_RUNS := $(SEEDS:%=$(RUNS_DIR)/base-s%/model.skops)
CAND_RUNS := $(SEEDS:%=$(RUNS_DIR)/$(CANDIDATE_NAME)-s%/model.skops)
RUN_DEPS  := $(VALIDATED) $(SILVER_FILES) $(MODEL_SRC)
# The comparison needs each run's model and training pages only: no cross-validation (3x faster). Set it to
# empty to also get each run's CV scores in its model card.
COMPARE_TRAIN_FLAGS ?= --no-cv

.PHONY: compare

compare: ## A config against train/config.toml on unseen sites: make compare CANDIDATE=my.toml [SEEDS="0 1 2"] -> runs/my.md
	$(if $(CANDIDATE),,$(error make compare needs CANDIDATE=path/to/config.toml))
	$(if $(filter base,$(CANDIDATE_NAME)),$(error make compare: rename CANDIDATE, its runs would be the baseline's ($(RUNS_DIR)/base-s*)))
	$(if $(SILVER_FILES),,$(error make compare needs the corpora in CORPORA=$(CORPORA)))
	@$(MAKE) --no-print-directory $(RUNS_DIR)/$(CANDIDATE_NAME).md

$(RUNS_DIR)/$(CANDIDATE_NAME).md: $(BASE_RUNS) $(CAND_RUNS) src/winnow/compare.py $(UNSEEN_SRC) | $(INSTALLED)
	$(WINNOW) compare-models $(BASE_RUNS:%=--baseline %) $(CAND_RUNS:%=--candidate %) --output $@

$(RUNS_DIR)/base-s%/model.skops: train/config.toml $(RUN_DEPS) | $(INSTALLED)
	$(WINNOW) train --config train/config.toml --seed $* --model $@ $(COMPARE_TRAIN_FLAGS)

$(RUNS_DIR)/$(CANDIDATE_NAME)-s%/model.skops: $(CANDIDATE) $(RUN_DEPS) | $(INSTALLED)
	$(WINNOW) train --config $(CANDIDATE) --seed $* --model $@ $(COMPARE_TRAIN_FLAGS)
# --- end eval ---

# --- corpus (helper) ---
# Silver labels from the benchmark corpora in $(CORPORA) (read in place, never copied): one real file target
# per corpus, rebuilt when its pages.jsonl.gz or the code changes. Outputs are git-ignored, except the numeric
# report eval/silver-report.{json,md}; eval/silver-samples.md holds corpus text and must stay git-ignored.
SILVER_DIR     := data/interim/silver
SILVER_WORKERS ?= 2
SILVER_SRC     := $(addprefix src/winnow/,silver.py corpus.py cli_corpus.py segment.py textio.py)

.PHONY: silver

silver: eval/silver-report.json ## Silver-label every corpus in CORPORA (default ../shared/corpora) -> data/interim/silver + eval/silver-report.md

$(SILVER_DIR)/%.parquet: $(CORPORA)/%/pages.jsonl.gz $(SILVER_SRC) | $(INSTALLED)
	$(WINNOW) import-corpus $(CORPORA)/$* --out-dir $(SILVER_DIR) --workers $(SILVER_WORKERS) --no-report

$(SILVER_DIR)/%-pages.parquet: $(SILVER_DIR)/%.parquet
	@test -f $@ || { echo "error: $@ missing; remove $< and rerun make silver" >&2; exit 1; }

eval/silver-report.json: $(SILVER_FILES) src/winnow/silver_report.py | $(INSTALLED)
	@test -n "$(CORPUS_NAMES)" || { echo "error: no */pages.jsonl.gz under CORPORA=$(CORPORA)" >&2; exit 1; }
	$(WINNOW) silver-report $(CORPUS_NAMES) --silver-dir $(SILVER_DIR) --report-dir eval
# --- end corpus ---

# --- scale (helper) ---
# winnow at scale on datatrove. IN is a JSONL file/dir (FORMAT=jsonl, field TEXT_KEY) or a dir of *.txt dumps
# (FORMAT=txt); OUT gets <rank>.jsonl. Tasks split the input by files. The benchmark renders pages from
# $(CORPORA) into a temporary dir (no corpus text in the repo) and writes numbers only to bench/results.*.
IN            ?=
OUT           ?=
FORMAT        ?= jsonl
TEXT_KEY      ?= text
CLEAN_TASKS   ?= 2
CLEAN_WORKERS ?= 2
CLEAN_FLAGS   ?=
BENCH_FLAGS   ?=

.PHONY: bench bench-long bench-memory clean-corpus

bench: $(MODEL) | $(INSTALLED) ## Throughput: winnow clean vs datatrove (1, 2 workers) vs trafilatura -> bench/results.{json,md}
	WINNOW_CORPORA=$(abspath $(CORPORA)) $(PY) bench/throughput.py --model $(MODEL) $(BENCH_FLAGS)

bench-long: $(MODEL) | $(INSTALLED) ## Cleaning time against page size, one-line pages up to 800k words -> bench/long-pages.{json,md}
	$(PY) bench/long_pages.py --model $(MODEL)

bench-memory: $(MODEL) | $(INSTALLED) ## Memory of one long winnow clean run (the corpus pages 20 times, ~5 min) -> bench/long-run-memory.{json,md}
	WINNOW_CORPORA=$(abspath $(CORPORA)) $(PY) bench/long_run_memory.py --model $(MODEL)

clean-corpus: | $(INSTALLED) ## Clean IN=<jsonl file|dir> into OUT=<dir> on datatrove (FORMAT=txt, CLEAN_TASKS/CLEAN_WORKERS, CLEAN_FLAGS)
	@test -n "$(IN)" -a -n "$(OUT)" || { echo "usage: make clean-corpus IN=pages/ OUT=clean/ [FORMAT=jsonl|txt TEXT_KEY=text CLEAN_TASKS=2 CLEAN_WORKERS=2 CLEAN_FLAGS='--min-content-chars 200 --excluded-dir dropped/']" >&2; exit 2; }
	$(WINNOW) clean --engine datatrove "$(IN)" --output-dir "$(OUT)" --input-format $(FORMAT) --text-key $(TEXT_KEY) --model $(MODEL) --tasks $(CLEAN_TASKS) --workers $(CLEAN_WORKERS) $(CLEAN_FLAGS)
# --- end scale ---

# --- smoothing (helper) ---
# Issue #4: does an HMM / CRF-like second pass over the site-held-out P(content) beat the plain threshold?
# Measured from the out-of-fold table that `make train` writes (numbers only, no corpus text; shingle F1 uses
# data/interim/silver when present), on the unseen sites' pages and on the seed pages' hand labels. The product
# smooths within each line (winnow.smoothing, `smoothing = true`); chains across lines are measured beside it.
.PHONY: smoothing

smoothing: train/smoothing.md ## the shipped smoothing within lines and chains across them vs the classifier's own scores: CV, unseen sites, seed labels -> train/smoothing.{md,json} (~2 min)

train/cv-predictions.parquet: $(MODEL)
	@test -f $@ || { echo "error: $@ missing; remove $(MODEL) and rerun make train (its cross-validation writes it)" >&2; exit 1; }

train/smoothing.md: train/cv-predictions.parquet bench/smoothing.py $(SILVER_FILES) | $(INSTALLED)
	$(PY) bench/smoothing.py --predictions $< --model $(MODEL) --output-md $@ --output-json train/smoothing.json
# --- end smoothing ---
