# The project's two entry points: `make demo` and `make test`. Both build .venv first.
VENV   := .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt
STAMP  := $(VENV)/.installed
RELEASE := releases/iom-2018

.PHONY: demo test install clean

install: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	python3 -m venv $(VENV)
	$(PIP) torch==2.13.0
	$(PIP) -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/tipkit synth check synth/published/iom-2018-border-crossings.yaml
	$(BIN)/tipkit synth generate --published synth/published/iom-2018-border-crossings.yaml \
	    --cases 8000 --k 11 --seed 7 --out $(RELEASE) --force
	@echo "Explore it in your browser: $(BIN)/tipkit app   (it prints the address to open)"

test: $(STAMP)
	$(BIN)/python -m pytest -n 2 -q

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
