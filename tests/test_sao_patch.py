# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.
"""scripts/patch_sao.py: what sao 8.0 lacks is patched at install time, in
the development install and in the production image."""
import importlib.util
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SAO_JS = ROOT / 'var' / 'sao' / 'package' / 'dist' / 'tryton-sao.js'

spec = importlib.util.spec_from_file_location(
    'patch_sao', ROOT / 'scripts' / 'patch_sao.py')
patch_sao = importlib.util.module_from_spec(spec)
spec.loader.exec_module(patch_sao)


@pytest.fixture(scope='module')
def sao_js():
    if not SAO_JS.exists():
        pytest.skip(f"sao is not installed ({SAO_JS}): run make install")
    return SAO_JS.read_text(encoding='utf-8')


def field_types():
    "The type names of trytond's fields, as the clients receive them"
    from trytond.model import fields

    def subclasses(cls):
        for subclass in cls.__subclasses__():
            yield subclass
            yield from subclasses(subclass)
    return {
        cls._type for cls in subclasses(fields.Field)
        if isinstance(getattr(cls, '_type', None), str)
        # only searched (full-text index), never shown
        and cls._type != 'full_text'}


def list_columns(text):
    "The widget names of sao's list columns (TreeXMLViewParser.WIDGETS)"
    block = re.search(
        r'Sao\.View\.TreeXMLViewParser\.WIDGETS = \{(.*?)\};', text, re.S)
    names = set(re.findall(r"'([a-z0-9_]+)':", block.group(1)))
    names |= set(re.findall(
            r'Sao\.View\.TreeXMLViewParser\.WIDGETS\.([a-z0-9_]+) =', text))
    return names


def test_installed_sao_is_patched(sao_js):
    for patch in patch_sao.PATCHES:
        assert patch.marker in sao_js, patch.name
    text, applied = patch_sao.apply(sao_js)
    assert applied == [] and text == sao_js  # idempotent


def test_every_field_type_has_a_list_column(sao_js):
    types = field_types()
    assert {'char', 'date', 'datetime', 'timestamp', 'many2one'} <= types
    missing = types - list_columns(sao_js)
    assert not missing, f"sao has no list column for {sorted(missing)}"


def test_unpatched_list_columns_lack_datetime(sao_js):
    "The patch is what adds them (this test fails once sao has them)"
    patch = next(p for p in patch_sao.PATCHES if 'datetime' in p.name)
    unpatched = sao_js.replace(patch.replacement, patch.anchor)
    assert patch.marker not in unpatched
    assert {'datetime', 'timestamp'}.isdisjoint(list_columns(unpatched))


def test_patch_stops_when_code_not_found():
    with pytest.raises(ValueError, match='found 0 times'):
        patch_sao.apply('var nothing;')


def test_patch_script_status(tmp_path):
    path = tmp_path / 'tryton-sao.js'
    path.write_text('var nothing;')
    with pytest.raises(SystemExit) as exit_info:
        patch_sao.main([str(path)])
    assert exit_info.value.code  # a message, non-zero status
    assert path.read_text() == 'var nothing;'


def test_install_and_image_patch_sao():
    install = (ROOT / 'scripts' / 'install.sh').read_text()
    assert 'scripts/patch_sao.py" "$SAO_JS"' in install
    dockerfile = (ROOT / 'docker' / 'Dockerfile').read_text()
    # the web root of the image is built from the patched package
    patch = dockerfile.index(
        'python /build/patch_sao.py /build/package/dist/tryton-sao.js')
    webroot = dockerfile.index(
        'python /build/sao_webroot.py /build/package /build/web')
    assert patch < webroot
    assert 'COPY --from=sao-web /build/web /opt/sao' in dockerfile
    ignored = (ROOT / '.dockerignore').read_text().split()
    assert 'scripts' not in ignored
