# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.
from trytond.modules.company.tests import CompanyTestMixin
from trytond.tests.test_tryton import ModuleTestCase


class ReguaranteeBaseTestCase(CompanyTestMixin, ModuleTestCase):
    "Test Re-guarantee Base module"
    module = 'reguarantee_base'


del ModuleTestCase
