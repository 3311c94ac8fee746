# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.
import unittest

from trytond.modules.company.tests import CompanyTestMixin
from trytond.modules.reguarantee_base.identity import (
    is_valid_resident_id, is_valid_uscc, resident_id_check_character,
    uscc_check_character)
from trytond.modules.reguarantee_base.tests import ZhCNTranslationTestMixin
from trytond.tests.test_tryton import ModuleTestCase


class IdentityTestCase(unittest.TestCase):
    "Test the check digits of identity numbers"

    def test_uscc_valid(self):
        "Test published unified social credit codes"
        for code in ['91350100M000100Y43', '91110000600037341L']:
            with self.subTest(code=code):
                self.assertTrue(is_valid_uscc(code))

    def test_uscc_check_character(self):
        "Test the check character of a USCC"
        # Σ value × 3^(i-1) mod 31 over '91350100M000100Y4' is 28:
        # (31 - 28) mod 31 = 3
        self.assertEqual(uscc_check_character('91350100M000100Y4'), '3')

    def test_uscc_invalid(self):
        "Test wrong unified social credit codes"
        for code in [
                None, '', '91350100M000100Y4', '91350100M000100Y44',
                '91350100M000100Y430', '91350100I000100Y43',
                '91350100m000100y43']:
            with self.subTest(code=code):
                self.assertFalse(is_valid_uscc(code))

    def test_resident_id_valid(self):
        "Test a resident identity number"
        self.assertTrue(is_valid_resident_id('11010519491231002X'))
        self.assertEqual(
            resident_id_check_character('11010519491231002'), 'X')

    def test_resident_id_invalid(self):
        "Test wrong resident identity numbers"
        for code in [
                None, '110105194912310021', '11010519491331002X',
                '1101051949123100', 'A1010519491231002X']:
            with self.subTest(code=code):
                self.assertFalse(is_valid_resident_id(code))


class ReguaranteeBaseTestCase(
        ZhCNTranslationTestMixin, CompanyTestMixin, ModuleTestCase):
    "Test Re-guarantee Base module"
    module = 'reguarantee_base'


del ModuleTestCase
