# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.
"""Reference servers of the external systems (DESIGN.md §6)

Small WSGI applications (werkzeug) implementing the wire formats documented
in docs/interfaces/: the National Fund's filing API (fund.py) and the
customer management system (cms.py).  They run on 127.0.0.1 only, started
by the demo (scripts/demo.sh: `python -m simulators fund ...`) and by the
tests (server.Simulator), with failures injected by configuration
(faults.py)."""
