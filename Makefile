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

.PHONY: help setup all data test lint clean

help: ## Show this list of targets
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{printf "  %-14s %s\n", $$1, $$2}'

all: data ## Set up, then run the main job on the embedded data (data -> train -> eval)

setup: $(INSTALLED) ## Create .venv and install winnow with pinned dependencies (constraints.txt)

$(INSTALLED): pyproject.toml constraints.txt
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

test: $(INSTALLED) ## Run the test suite (unit + integration; corpora tests need $(CORPORA))
	WINNOW_CORPORA=$(abspath $(CORPORA)) $(VENV)/bin/pytest -q

lint: $(INSTALLED) ## ruff check
	$(VENV)/bin/ruff check src tests

clean: ## Remove generated data, models and reports (keeps .venv)
	rm -rf data/processed data/interim data/dataset train/model.skops train/model-card.json
