#!/usr/bin/env python3
# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.
"""Patch sao 8.0's dist/tryton-sao.js where it falls short.

Used by scripts/install.sh and docker/Dockerfile after sao's npm install.
Each patch is applied once (its marker in the file says it is there, so a
second run changes nothing) and is checked: when the code it changes is
not found exactly once, the script stops with a non-zero status and says
which patch failed, so that a new sao release is looked at again instead of
being served unpatched.

    python scripts/patch_sao.py var/sao/package/dist/tryton-sao.js

Prints the names of the patches it applied.
"""
import sys
from collections import namedtuple

#: the code found once (anchor) is replaced; marker is in the patched code
Patch = namedtuple('Patch', ['name', 'marker', 'anchor', 'replacement'])

PATCHES = [
    # sao 8.0 builds the screen of a board's action without the action's
    # domain (its Board.Action computes this.domain but no longer passes it
    # to Sao.Screen, as earlier sao versions and Tryton's desktop client
    # do), so every graph of a board (the risk cockpit) would show every
    # record.  Pass it, sharing the array that update_domain() refreshes in
    # place.
    Patch(
        name="board actions get their action's domain",
        marker='params.domain = this.domain;',
        anchor=(
            '                this.domain = [];\n'
            '                this.update_domain([]);\n'),
        replacement=(
            '                this.domain = [];\n'
            '                this.update_domain([]);\n'
            '                params.domain = this.domain;\n')),
    # sao 8.0's list views have no column for the field types datetime and
    # timestamp (Sao.View.TreeXMLViewParser.WIDGETS has no entry for them):
    # a list showing such a field without widget="date" or widget="time"
    # fails with "ColumnFactory is not a constructor" and its tab never
    # opens.  Show them as the form does: the user's date format and the
    # field's time format (without the fraction of a second of a
    # timestamp), in the user's time zone.
    Patch(
        name="list columns of datetime and timestamp fields",
        marker='Sao.View.Tree.DateTimeColumn = ',
        anchor=(
            "        'url': Sao.View.Tree.URLColumn,\n"
            "    };\n"
            "\n"
            "    Sao.View.EditableTree = {};\n"),
        replacement=(
            "        'url': Sao.View.Tree.URLColumn,\n"
            "    };\n"
            "\n"
            "    // Added by the re-guarantee system's scripts/patch_sao.py\n"
            "    Sao.View.Tree.DateTimeColumn = Sao.class_(\n"
            "        Sao.View.Tree.CharColumn, {\n"
            "        class_: 'column-datetime',\n"
            "        get_textual_value: function(record) {\n"
            "            var value = this.field.get_client(record);\n"
            "            if (!value) {\n"
            "                return '';\n"
            "            }\n"
            "            var time_format = (this.field.time_format(record)\n"
            "                || '%H:%M:%S').replace(/\\.%f$/, '');\n"
            "            return Sao.common.format_datetime(\n"
            "                this.field.date_format(record) + ' ' +\n"
            "                time_format, value);\n"
            "        }\n"
            "    });\n"
            "    Sao.View.TreeXMLViewParser.WIDGETS.datetime =\n"
            "        Sao.View.Tree.DateTimeColumn;\n"
            "    Sao.View.TreeXMLViewParser.WIDGETS.timestamp =\n"
            "        Sao.View.Tree.DateTimeColumn;\n"
            "\n"
            "    Sao.View.EditableTree = {};\n")),
    ]


def apply(text, patches=PATCHES):
    "Return text patched and the names of the patches applied"
    applied = []
    for patch in patches:
        if patch.marker in text:
            continue
        count = text.count(patch.anchor)
        if count != 1:
            raise ValueError(
                f"sao patch {patch.name!r}: the code to patch was found "
                f"{count} times instead of once")
        text = text.replace(patch.anchor, patch.replacement)
        assert patch.marker in text, patch.name
        applied.append(patch.name)
    return text, applied


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1:
        sys.exit(f"usage: {sys.argv[0]} .../dist/tryton-sao.js")
    path, = argv
    with open(path, encoding='utf-8') as file:
        text = file.read()
    try:
        text, applied = apply(text)
    except ValueError as exception:
        sys.exit(f"{path}: {exception}")
    if applied:
        with open(path, 'w', encoding='utf-8') as file:
            file.write(text)
    for name in applied:
        print(name)


if __name__ == '__main__':
    main()
