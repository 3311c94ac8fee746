# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.

# Registers the REST API's routes on trytond's WSGI application
from . import routes

__all__ = ['routes']
