# Tayanch: `make run` opens the app on a demo register, `make test` runs the whole suite.
# Both set everything up on a fresh Debian/Ubuntu machine with Python 3.11.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO_DIR ?= demo-data
DEMO_PASSWORD ?= demo
export PIP_DISABLE_PIP_VERSION_CHECK := 1

# System libraries Qt's xcb platform plugin (a real window) and offscreen rendering need.
QT_SYSTEM_PACKAGES := libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxkbcommon-x11-0 \
	libxcb-xinerama0 libxcb-randr0 libxcb-render-util0 libxcb-shape0 libxcb-image0 \
	libxkbcommon0 libegl1 libgl1 libfontconfig1 libdbus-1-3 libglib2.0-0
# What the tests use besides Python: PDF to text/PNG, a virtual screen, the sqlite3 tool;
# for `make dist`, binutils (PyInstaller) and gcc (links Qt's cut ICU data, packaging/icu_data.py).
TEST_SYSTEM_PACKAGES := $(QT_SYSTEM_PACKAGES) poppler-utils xvfb xauth sqlite3 binutils gcc

.PHONY: run test bench screenshots translations system-packages test-system-packages \
	lint clean-demo dist selftest-dist

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	touch $@

translations: $(STAMP)
	$(BIN)/python translations/build.py compile

# As root, install what is missing with apt-get; otherwise name it.
system-packages:
	@PKGS="$(QT_SYSTEM_PACKAGES)" sh .ci/system-packages.sh

test-system-packages:
	@PKGS="$(TEST_SYSTEM_PACKAGES)" sh .ci/system-packages.sh

run: $(STAMP) translations system-packages
	@if [ ! -f $(DEMO_DIR)/register.db ]; then \
		echo "Creating a demo register in $(DEMO_DIR) (user: demo, password: $(DEMO_PASSWORD))"; \
		TAYANCH_PASSWORD=$(DEMO_PASSWORD) $(BIN)/tayanch --data-dir $(DEMO_DIR) demo; \
	fi
	@echo "Log in as user 'demo' with password '$(DEMO_PASSWORD)'."
	$(BIN)/tayanch --data-dir $(DEMO_DIR) gui

test: $(STAMP) translations
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -q

# House style (STYLE.md): ruff's lint and its formatter, over every Python file.
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

bench: $(STAMP) translations
	@for f in bench/*.py; do echo "== $$f"; QT_QPA_PLATFORM=offscreen $(BIN)/python $$f || exit 1; done

# Every main screen at 1366x768: Uzbek Latin into docs/ (shown in README), the other
# languages into out/screenshots/<lang> for checking clipped or overflowing text.
screenshots: $(STAMP) translations
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m ui.screenshots docs/screenshots
	for lang in uz-Cyrl ru en; do \
		QT_QPA_PLATFORM=offscreen $(BIN)/python -m ui.screenshots --lang $$lang out/screenshots/$$lang || exit 1; \
	done

clean-demo:
	rm -rf $(DEMO_DIR)

# The PyInstaller bundle (onedir) in dist/tayanch, and its self-test as CI runs it.
dist: $(STAMP) translations
	$(BIN)/pip install -q -e '.[dist]'
	$(BIN)/pyinstaller --noconfirm build.spec

selftest-dist: dist
	QT_QPA_PLATFORM=offscreen dist/tayanch/tayanch --self-test
