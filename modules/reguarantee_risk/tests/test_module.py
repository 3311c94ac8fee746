# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.

from trytond.modules.reguarantee_base.tests import ZhCNTranslationTestMixin
from trytond.tests.test_tryton import ModuleTestCase


class ReguaranteeRiskTestCase(ZhCNTranslationTestMixin, ModuleTestCase):
    "Test Re-guarantee Risk module"
    module = 'reguarantee_risk'


del ModuleTestCase
