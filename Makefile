# Entry points of the re-guarantee business system.  Every target runs from
# the repository root.
#   make install    .venv (editable install + test tools) and sao, idempotent
#   make demo       install, then scripts/demo.sh (demo database + server)
#   make stop       stop the demo servers (scripts/stop.sh)
#   make test       the whole suite (scripts/test.sh); see its header for
#                   MODULES=, SKIP=, FAIL_FAST=, VERBOSE=
#   make lint       flake8 + isort --check
#   make backup     back up a database and its attachments
#                   (scripts/backup.py; BACKUP_DATABASE=, BACKUP_DIR=,
#                   BACKUP_KEEP=, BACKUP_COPY=)
#   make restore    restore a backup into a new database (BACKUP=,
#                   RESTORE_DATABASE=, RESTORE_FORCE=1)
#   make format     isort the Python files in place
#   make clean      stop the demo, remove var/ (databases, sao, caches,
#                   logs) and __pycache__ folders; keeps .venv
#   make distclean  clean + remove .venv
SHELL := /bin/bash
ROOT := $(abspath $(dir $(lastword $(MAKEFILE_LIST))))
VENV := $(ROOT)/.venv
PY := $(VENV)/bin/python
LINT_DIRS = $(patsubst $(ROOT)/%,%,$(wildcard $(addprefix $(ROOT)/,\
	modules tests scripts simulators bench)))

.PHONY: install demo stop test lint format clean distclean backup restore

install:
	cd $(ROOT) && scripts/install.sh

demo: install
	cd $(ROOT) && bash scripts/demo.sh

stop:
	cd $(ROOT) && bash scripts/stop.sh

test:
	cd $(ROOT) && scripts/test.sh

backup:
	cd $(ROOT) && $(PY) scripts/backup.py backup

restore:
	cd $(ROOT) && $(PY) scripts/backup.py restore

lint:
	cd $(ROOT) && $(PY) -m flake8 $(LINT_DIRS) \
		&& $(PY) -m isort --check-only --diff $(LINT_DIRS)

format:
	cd $(ROOT) && $(PY) -m isort $(LINT_DIRS)

clean:
	cd $(ROOT) && if [ -f scripts/stop.sh ]; then bash scripts/stop.sh; fi
	cd $(ROOT) && rm -rf var build .pytest_cache *.egg-info \
		modules/*.egg-info
	cd $(ROOT) && find . -path ./.venv -prune -o -path ./.git -prune -o \
		-type d -name __pycache__ -exec rm -rf {} +

distclean: clean
	rm -rf $(VENV)
