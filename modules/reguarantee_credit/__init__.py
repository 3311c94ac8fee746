# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.
from importlib.util import find_spec

# The letter screenings of the REST API (screening_api.py), registered on
# trytond's WSGI application when reguarantee_api is installed: they answer
# in the databases where both modules are activated
if find_spec('trytond.modules.reguarantee_api'):
    from . import screening_api

    __all__ = ['screening_api']
