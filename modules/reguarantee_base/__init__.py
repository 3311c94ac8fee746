# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.

# Registers the REST API's routes on trytond's WSGI application and installs
# the security middleware of the web tier (web.py)
from . import routes, web

__all__ = ['routes', 'web']
