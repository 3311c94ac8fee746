# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.

# Installs the security middleware of the web tier (web.py)
from . import web

__all__ = ['web']
