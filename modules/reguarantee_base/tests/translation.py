# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.
import os
import re

import polib

from trytond.pool import Pool
from trytond.tests.test_tryton import with_transaction
from trytond.tools import find_path

PLACEHOLDER = re.compile(r'%\(\w+\)s')


def translated_forms(entry):
    "Return the translations of the po entry, each plural form for a plural"
    if entry.msgid_plural:
        return [v for _, v in sorted(entry.msgstr_plural.items()) if v]
    return [entry.msgstr] if entry.msgstr else []


class ZhCNTranslationTestMixin:
    "Check that every string of the module has a zh_CN translation"

    @with_transaction()
    def test_zh_cn_translation_complete(self):
        "Test every user-visible string has a zh_CN translation"
        pool = Pool()
        Translation = pool.get('ir.translation')
        TranslationSet = pool.get('ir.translation.set', type='wizard')

        session_id, _, _ = TranslationSet.create()
        TranslationSet(session_id).transition_set_()
        sources = polib.pofile(
            Translation.translation_export('en', self.module).decode())
        path = find_path(
            os.path.join(self.module, 'locale', 'zh_CN.po'))
        translations = {
            (e.msgctxt, e.msgid): forms
            for e in polib.pofile(path)
            if not e.fuzzy and (forms := translated_forms(e))}

        missing = [
            (e.msgctxt, e.msgid) for e in sources
            if (e.msgctxt, e.msgid) not in translations]
        self.assertEqual(missing, [])
        for (context, source), forms in translations.items():
            for translation in forms:
                with self.subTest(context=context):
                    self.assertEqual(
                        set(PLACEHOLDER.findall(translation)),
                        set(PLACEHOLDER.findall(source)))

    @with_transaction()
    def test_zh_cn_override(self):
        "Test the module's zh_CN strings of other modules override theirs"
        pool = Pool()
        Translation = pool.get('ir.translation')
        try:
            path = find_path(os.path.join(
                    self.module, 'locale', 'override', 'zh_CN.po'))
        except FileNotFoundError:
            self.skipTest("no override")
        entries = polib.pofile(path)
        modules = {e.msgctxt.split(':')[2].split('.')[0] for e in entries}
        for module in sorted(modules):
            Translation.translation_import(
                'zh_CN', module,
                find_path(os.path.join(module, 'locale', 'zh_CN.po')))
        Translation.translation_import('zh_CN', self.module, [
                find_path(os.path.join(self.module, 'locale', 'zh_CN.po')),
                path])

        for entry in entries:
            type_, name, res_id = entry.msgctxt.split(':')
            with self.subTest(context=entry.msgctxt):
                translation, = Translation.search([
                        ('lang', '=', 'zh_CN'),
                        ('type', '=', type_),
                        ('name', '=', name),
                        ('src', '=', entry.msgid),
                        ('module', '=', res_id.split('.')[0]),
                        ])
                self.assertEqual(translation.value, entry.msgstr)
                self.assertEqual(translation.overriding_module, self.module)
                self.assertFalse(translation.fuzzy)
