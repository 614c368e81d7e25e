# The project's two entry points: `make demo` and `make test`. Both build .venv first.
# demo: check the published figures, build the default release, run the airport baseline,
# compare the shipped training and staffing options and write their report.
VENV   := .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt
STAMP  := $(VENV)/.installed
RELEASE := releases/iom-2018

.PHONY: demo test install browser clean

install: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	python3 -m venv $(VENV)
	$(PIP) torch==2.13.0
	$(PIP) -e '.[dev]'
	# anonymeter (the attacks of evaluate --holdout and fit --audit) declares numpy<1.27 but runs
	# on numpy 2; its dependencies are in pyproject.toml, so it is installed alone
	$(PIP) --no-deps anonymeter==1.1.0
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/tipkit synth check synth/published/iom-2018-border-crossings.yaml
	$(BIN)/tipkit synth generate --published synth/published/iom-2018-border-crossings.yaml \
	    --cases 8000 --k 11 --seed 7 --out $(RELEASE) --force
	$(BIN)/tipkit sim run scenarios/airport-baseline.yaml --replications 30 --seed 1 --out runs/airport \
	    --force
	$(BIN)/tipkit sim compare scenarios/airport-baseline.yaml scenarios/airport-train-half.yaml \
	    scenarios/airport-train-all.yaml scenarios/airport-more-desks.yaml scenarios/airport-egates.yaml \
	    --replications 30 --seed 1 --out runs/options --force
	$(BIN)/tipkit sim report runs/options --out runs/options/report.html
	@echo "Explore it in your browser: $(BIN)/tipkit app   (it prints the address to open)"

# The report's and the app's browser tests drive Debian's Chromium (no browser download):
# install it when this machine lacks it (apt-get, as root or through sudo).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	    echo "Installing Chromium (Debian's package) for the browser tests"; \
	    SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	    $$SUDO apt-get update -qq >/dev/null && \
	        $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

test: $(STAMP) browser
	$(BIN)/python -m pytest -n 2 -q

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
