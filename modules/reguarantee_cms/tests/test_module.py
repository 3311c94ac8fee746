# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.
from trytond.modules.company.tests import CompanyTestMixin
from trytond.modules.reguarantee_base.tests import ZhCNTranslationTestMixin
from trytond.tests.test_tryton import ModuleTestCase


class ReguaranteeCMSTestCase(
        ZhCNTranslationTestMixin, CompanyTestMixin, ModuleTestCase):
    "Test Re-guarantee CMS module"
    module = 'reguarantee_cms'


del ModuleTestCase
