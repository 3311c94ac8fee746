# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.
"""The reader process of RowChunks

    python -m trytond.modules.reguarantee_base.project_import_reader \\
        FILENAME DIGITS SIZE < FILE

reads the file given on the standard input and writes its chunks of rows to
the standard output as pickled (kind, headers, payload) tuples: ('rows',
headers, chunk) for each chunk, then ('end', headers, None), or ('error',
headers, (message id, parameters)) when the file cannot be imported."""
import pickle
import sys

from trytond.modules.reguarantee_base.project_import_file import (
    ReadError, RowChunks)


def main():
    filename, digits, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    data = sys.stdin.buffer.read()
    output = sys.stdout.buffer
    chunks = RowChunks(data, filename, digits, size, parallel=False)
    try:
        for chunk in chunks:
            pickle.dump(('rows', chunks.headers, chunk), output)
    except ReadError as error:
        params = {
            k: v if isinstance(v, (str, int, list)) else str(v)
            for k, v in error.params.items()}
        pickle.dump(
            ('error', chunks.headers, (error.msg_id, params)), output)
    else:
        pickle.dump(('end', chunks.headers, None), output)
    output.flush()


if __name__ == '__main__':
    main()
