# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.
"""Build the web root of trytond ([web] root) from sao's npm package

    python scripts/sao_webroot.py PACKAGE WEBROOT

trytond serves every file below its [web] root to anyone: sao's package
holds its sources, tests, package.json and 50 MB of node_modules.  The web
root gets only what sao loads: index.html, dist/, images/, sounds/, the
*.json of locale/, and exactly the files of node_modules/ that index.html
references, with the files their style sheets reference (bootstrap's
fonts).  It is built beside WEBROOT and swapped in whole.
(scripts/install.sh and docker/Dockerfile run it.)"""
import os
import re
import shutil
import sys
from html.parser import HTMLParser
from pathlib import Path, PurePosixPath

#: The installation's own style and script that index.html loads
CUSTOM = ('custom.css', 'custom.js')
#: The folders sao reads files from, and the files it needs there
FOLDERS = {
    'dist': '*',
    'images': '*',
    'sounds': '*.wav',
    'locale': '*.json',
    }
CSS_URL = re.compile(r'''url\(\s*['"]?([^'")]+?)['"]?\s*\)''')


class References(HTMLParser):
    "The local files a page loads through <script src> and <link href>"

    def __init__(self):
        super().__init__()
        self.paths = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        path = attrs.get('src') if tag == 'script' else (
            attrs.get('href') if tag == 'link' else None)
        if path and not re.match(r'^[a-z]+:|^//|^#', path):
            self.paths.append(path)


def relative(base, reference):
    "Return the path of reference below the package, or None outside it"
    reference = reference.split('#')[0].split('?')[0]
    if not reference:
        return None
    parts = []
    for part in (PurePosixPath(base).parent / reference).parts:
        if part == '..':
            if not parts:
                return None
            parts.pop()
        elif part != '.':
            parts.append(part)
    return PurePosixPath(*parts) if parts else None


def needed_files(package):
    "Return the paths below package the web client needs"
    package = Path(package)
    parser = References()
    parser.feed((package / 'index.html').read_text(encoding='utf-8'))
    files = {PurePosixPath('index.html')}
    for folder, pattern in FOLDERS.items():
        files.update(
            PurePosixPath(p.relative_to(package))
            for p in (package / folder).glob(pattern) if p.is_file())
    pending = [relative('index.html', p) for p in parser.paths]
    pending += [f for f in files if f.suffix == '.css']
    while pending:
        path = pending.pop()
        if path is None or not (package / path).is_file():
            # custom.js and custom.css are optional
            continue
        if path.suffix == '.css':
            text = (package / path).read_text(encoding='utf-8')
            for url in CSS_URL.findall(text):
                if url.startswith('data:'):
                    continue
                found = relative(path, url)
                if found is not None and found not in files:
                    pending.append(found)
        files.add(path)
    return sorted(p for p in files if (package / p).is_file())


def build(package, webroot):
    "Build webroot from package, replacing it"
    package, webroot = Path(package), Path(webroot)
    files = needed_files(package)
    building = webroot.with_name(webroot.name + '.building')
    shutil.rmtree(building, ignore_errors=True)
    for path in files:
        target = building / path
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(package / path, target)
    # index.html loads these hooks of an installation's own: empty ones,
    # else the browser is answered an error page it refuses (nosniff)
    for name in CUSTOM:
        if not (building / name).exists():
            (building / name).write_text('')
    old = webroot.with_name(webroot.name + '.old')
    shutil.rmtree(old, ignore_errors=True)
    if webroot.exists():
        os.replace(webroot, old)
    os.replace(building, webroot)
    shutil.rmtree(old, ignore_errors=True)
    return files


def main(argv):
    if len(argv) != 3:
        sys.exit(__doc__)
    files = build(argv[1], argv[2])
    node_modules = sum(p.parts[0] == 'node_modules' for p in files)
    print(f"{argv[2]}: {len(files)} files, {node_modules} of node_modules")


if __name__ == '__main__':
    main(sys.argv)
