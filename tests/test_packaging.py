# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.
"""Every Tryton module of modules/ is packaged (pyproject.toml) and
discoverable by trytond, and has the files every module must have."""
import configparser
import importlib.util
import tomllib
from fnmatch import fnmatch
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
MODULES = sorted(
    cfg.parent.name for cfg in (ROOT / 'modules').glob('*/tryton.cfg'))


@pytest.fixture(scope='module')
def pyproject():
    with (ROOT / 'pyproject.toml').open('rb') as fp:
        return tomllib.load(fp)


def test_modules_found():
    assert 'reguarantee_base' in MODULES


@pytest.mark.parametrize('module', MODULES)
def test_packaged(pyproject, module):
    package = f'trytond.modules.{module}'
    setuptools = pyproject['tool']['setuptools']
    assert setuptools['package-dir'][package] == f'modules/{module}'
    assert package in setuptools['packages']
    if (ROOT / 'modules' / module / 'tests' / '__init__.py').exists():
        assert f'{package}.tests' in setuptools['packages']
    entry_points = pyproject['project']['entry-points']['trytond.modules']
    assert entry_points[module] == package


def test_no_missing_package(pyproject):
    "Every folder with an __init__.py is listed as a package"
    setuptools = pyproject['tool']['setuptools']
    for module in MODULES:
        directory = ROOT / 'modules' / module
        for init in directory.rglob('__init__.py'):
            relative = init.parent.relative_to(directory)
            name = '.'.join(
                ('trytond', 'modules', module, *relative.parts))
            assert name in setuptools['packages'], name


@pytest.mark.parametrize('module', MODULES)
def test_discovered(module):
    from trytond.modules import get_modules
    assert module in get_modules()
    spec = importlib.util.find_spec(f'trytond.modules.{module}')
    assert Path(spec.origin).parent == ROOT / 'modules' / module, (
        "the installed module is not this checkout's:"
        " run scripts/install.sh")


@pytest.mark.parametrize('module', MODULES)
def test_module_layout(module):
    directory = ROOT / 'modules' / module
    config = configparser.ConfigParser()
    config.read(directory / 'tryton.cfg')
    assert config.get('tryton', 'version').startswith('8.0.')
    for xml in config.get('tryton', 'xml', fallback='').split():
        assert (directory / xml).is_file(), xml
    assert (directory / 'locale' / 'zh_CN.po').is_file()
    assert (directory / 'tests' / 'test_module.py').is_file()


def _glob_match(path, pattern):
    "Match like glob: `*` does not cross folders"
    path, pattern = path.split('/'), pattern.split('/')
    return len(path) == len(pattern) and all(
        fnmatch(p, q) for p, q in zip(path, pattern))


@pytest.mark.parametrize('module', MODULES)
def test_package_data(pyproject, module):
    "Every data file of the module is matched by the package data"
    patterns = pyproject['tool']['setuptools']['package-data']['*']
    directory = ROOT / 'modules' / module
    packages = {
        init.parent for init in directory.rglob('__init__.py')}
    for path in directory.rglob('*'):
        if (not path.is_file() or path.suffix in {'.py', '.pyc'}
                or '__pycache__' in path.parts):
            continue
        # The patterns apply to every package, relative to its folder
        relatives = [
            path.relative_to(package).as_posix() for package in packages
            if package in path.parents]
        assert any(_glob_match(r, p) for r in relatives for p in patterns), (
            path.relative_to(directory).as_posix())
