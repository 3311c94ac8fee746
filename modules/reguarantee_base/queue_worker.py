# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.
"""A worker of Tryton's task queue (ir.queue) for SQLite databases

trytond-worker (trytond/worker.py) runs on PostgreSQL only: it waits for
the queue's notifications by registering the database connection in a
selector, which a sqlite3 connection cannot be (ValueError: Invalid file
object), and ir.queue's pull() ends with a query that uses its WITH table
without declaring it on SQLite (sqlite3.OperationalError: no such table).
This one polls: it takes the next due task the same way (not dequeued yet,
scheduled for now or earlier, in the order of scheduled_at and expected_at)
and runs it with trytond-worker's own run_task; when none is due it sleeps.
Run one of them per SQLite database:

    python -O -m trytond.modules.reguarantee_base.queue_worker \\
        -c trytond.conf -d demo

The configuration must say [queue] worker = True for the server and cron,
so that they queue the tasks instead of running them."""
import datetime as dt
import logging
import signal
import threading

from sql import Null

logger = logging.getLogger(__name__)


def pull(name=None):
    """Mark the next due task dequeued in the current transaction and return
    its id, or None"""
    from trytond.pool import Pool
    from trytond.transaction import Transaction
    Queue = Pool().get('ir.queue')
    queue = Queue.__table__()
    cursor = Transaction().connection.cursor()
    now = dt.datetime.now()
    where = (queue.dequeued_at == Null) & (
        (queue.scheduled_at == Null) | (queue.scheduled_at <= now))
    if name:
        where &= queue.name == name
    cursor.execute(*queue.select(
            queue.id, where=where,
            order_by=[
                queue.scheduled_at.nulls_first,
                queue.expected_at.nulls_first, queue.id],
            limit=1))
    row = cursor.fetchone()
    if not row:
        return None
    task_id, = row
    cursor.execute(*queue.update(
            [queue.dequeued_at], [now],
            where=(queue.id == task_id) & (queue.dequeued_at == Null)))
    if cursor.rowcount != 1:  # another worker took it meanwhile
        return None
    return task_id


def run_once(database_name, name=None):
    "Run the next due task of the queue; return whether there was one"
    from trytond.transaction import Transaction
    from trytond.worker import run_task
    with Transaction().start(database_name, 0) as transaction:
        task_id = pull(name)
        transaction.commit()
    if task_id:
        run_task(database_name, task_id)
    return bool(task_id)


def work(database_names, name=None, interval=1, stopped=None):
    "Run the due tasks of the databases until stopped is set"
    from trytond.pool import Pool
    from trytond.transaction import Transaction
    stopped = stopped or threading.Event()
    for database_name in database_names:
        if database_name not in Pool.database_list():
            with Transaction().start(database_name, 0, readonly=True):
                Pool(database_name).init()
    logger.info("polling the queue of %s", ', '.join(database_names))
    while not stopped.is_set():
        busy = False
        for database_name in database_names:
            try:
                busy |= run_once(database_name, name)
            except Exception:
                logger.exception("task of %s failed", database_name)
        if not busy:
            stopped.wait(interval)


def main():
    import trytond.commandline as commandline
    import trytond.config as config
    parser = commandline.get_parser_worker()
    parser.description = __doc__.splitlines()[0]
    options = parser.parse_args()
    config.update_etc(options.configfile)
    commandline.config_log(options)
    from trytond.pool import Pool
    stopped = threading.Event()
    for signum in [signal.SIGTERM, signal.SIGINT]:
        signal.signal(signum, lambda *args: stopped.set())
    with commandline.pidfile(options):
        Pool.start()
        work(
            options.database_names, name=options.name,
            interval=min(options.timeout, 1), stopped=stopped)


if __name__ == '__main__':
    main()
