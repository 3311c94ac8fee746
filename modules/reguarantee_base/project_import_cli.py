# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.
"""The reguarantee-import command: the project import wizard's code for very
large files, in one transaction, with a progress bar

It reads trytond's configuration like trytond itself: the TRYTOND_CONFIG file
and the TRYTOND_<SECTION>__<OPTION> variables (TRYTOND_DATABASE__URI...)."""
import argparse
import os
import sys

STAGES = {
    'validate': "Validating",
    'create': "Creating",
    }


class Progress:
    "Show the progress of an import on a stream, as a bar on a terminal"

    def __init__(self, stream=None, width=30):
        self.stream = stream or sys.stderr
        self.width = width
        self.tty = self.stream.isatty()
        self.shown = None

    def __call__(self, stage, done, total):
        label = STAGES.get(stage, stage)
        if total:
            filled = self.width * done // total
            line = '%-10s [%s%s] %s/%s' % (
                label, '#' * filled, '.' * (self.width - filled), done, total)
            step = 10 * done // total
        else:
            line = '%-10s %s rows' % (label, done)
            step = done
        finished = bool(total) and done >= total
        if self.tty:
            self.stream.write(
                '\r' + line.ljust(72) + ('\n' if finished else ''))
        elif (stage, step) != self.shown:
            self.stream.write(line + '\n')
        self.shown = (stage, step)
        self.stream.flush()


def get_parser():
    parser = argparse.ArgumentParser(
        prog='reguarantee-import',
        description="Import re-guarantee projects from an .xlsx, .xls or "
        ".csv file, as the Import Projects wizard does, in one transaction. "
        "The exit code is 0 when projects were imported, 1 otherwise.")
    parser.add_argument('file', help="the .xlsx, .xls or .csv file")
    parser.add_argument(
        '-d', '--database', required=True, help="the database name")
    parser.add_argument(
        '--institution', metavar='CODE',
        help="the code of the institution of the rows without one")
    parser.add_argument(
        '--mode', choices=['valid', 'all'], default='valid',
        help="import the valid rows (default), or nothing unless all rows "
        "are valid")
    parser.add_argument(
        '--user', default='admin',
        help="the login of the user who imports (default: %(default)s)")
    parser.add_argument(
        '--rejected', metavar='FILE',
        help="write the rejected rows with their reasons to this .xlsx file")
    parser.add_argument(
        '--skip-warnings', action='store_true',
        help="import even when the submission warns (e.g. of an industry "
        "above its concentration limit), as a user confirming it")
    parser.add_argument(
        '--max-errors', type=int, default=20, metavar='N',
        help="print at most N errors (default: %(default)s)")
    parser.add_argument(
        '-q', '--quiet', action='store_true', help="show no progress")
    return parser


def main(argv=None):
    options = get_parser().parse_args(argv)

    from trytond import config
    config.update_etc()
    from trytond.exceptions import UserError, UserWarning
    from trytond.pool import Pool
    from trytond.transaction import Transaction

    from .project_import_file import MAX_FILE_SIZE

    def fail(message):
        sys.stderr.write('reguarantee-import: %s\n' % message)
        return 1

    try:
        with open(options.file, 'rb') as file:
            # Reading one byte more is enough to refuse a file too large
            data = file.read(MAX_FILE_SIZE + 1)
    except OSError as exception:
        return fail(exception)

    database = options.database
    pool = Pool(database)
    if database not in Pool.database_list():
        with Transaction().start(database, 0, readonly=True):
            pool.init()
    with Transaction().start(database, 0, readonly=True):
        User = pool.get('res.user')
        users = User.search([('login', '=', options.user)])
        if not users:
            return fail("no user %s" % options.user)
        user, = users
    with Transaction().start(database, user.id, readonly=True):
        context = User.get_preferences(context_only=True)

    progress = None if options.quiet else Progress()
    with Transaction().start(database, user.id, context=context):
        Institution = pool.get('reguarantee.institution')
        ProjectImport = pool.get('reguarantee.project.import', type='wizard')
        institution = None
        if options.institution:
            institutions = Institution.search([
                    ('code', '=', options.institution),
                    ])
            if not institutions:
                return fail("no institution %s" % options.institution)
            institution, = institutions
            context = {'company': institution.company.id}
        else:
            context = {}
        if options.skip_warnings:
            context['_skip_warnings'] = True
        with Transaction().set_context(context):
            try:
                result = ProjectImport.import_file(
                    data, os.path.basename(options.file), institution,
                    options.mode, progress=progress)
            except UserError as exception:
                return fail(exception.message)
            except UserWarning as warning:
                return fail("%s\n(--skip-warnings to import anyway)"
                    % warning.message)
            for row, column, reason in result.error_lines(options.max_errors):
                sys.stderr.write('%s\t%s\t%s\n' % (
                        row, column, reason.replace('\n', ' ')))
            if result.error_count > options.max_errors:
                sys.stderr.write('... %s errors\n' % result.error_count)
            if options.rejected and result.rejected:
                with open(options.rejected, 'wb') as file:
                    file.write(result.rejected_file())
    sys.stdout.write('%s projects imported, %s rows rejected\n' % (
            len(result.projects), len(result.rejected)))
    return 0 if result.projects else 1


if __name__ == '__main__':
    sys.exit(main())
