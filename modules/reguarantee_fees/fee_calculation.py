# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.
"""The arithmetic of re-guarantee fees, without the database

A project is covered from its start date (included) to its end date, or its
release date when released before it (excluded), as interest runs on a loan:
a loan from 2024-01-01 to 2025-01-01 is covered 366 days.  Every fee is
base × annual rate × covered days ÷ the year of the day count (365 for
act/365, 360 for act/360), rounded once to the currency: a partial period is
so charged pro rata of its days."""
import datetime as dt
from decimal import Decimal

#: Months of a period of each periodic schedule
SCHEDULE_MONTHS = {
    'monthly': 1,
    'quarterly': 3,
    'yearly': 12,
    }
ONE_DAY = dt.timedelta(days=1)
YEAR_DAYS = {
    'act365': 365,
    'act360': 360,
    }


def fee_amount(base, rate, days, day_count, round_):
    "Return the fee on base at the annual rate for days, rounded by round_"
    return round_(
        Decimal(base) * Decimal(rate) * days / YEAR_DAYS[day_count])


def period_of(schedule, date):
    "Return the first and last day of the period of schedule holding date"
    months = SCHEDULE_MONTHS[schedule]
    month = (date.month - 1) // months * months
    start = dt.date(date.year, month + 1, 1)
    # the first day of the next period, by month arithmetic: relativedelta
    # costs more than the rest of a fee
    year, month = divmod(month + months, 12)
    return start, dt.date(date.year + year, month + 1, 1) - ONE_DAY


def covered_periods(schedule, start_date, end_date, until):
    """Yield (first, last) covered day of each period of the periodic
    schedule that overlaps the cover from start_date to end_date (excluded)
    and that is over on until (its last day is not after until)"""
    if end_date <= start_date:
        return
    period_start, period_end = period_of(schedule, start_date)
    last_day = end_date - dt.timedelta(days=1)
    while period_start <= last_day and period_end <= until:
        yield max(period_start, start_date), min(period_end, last_day)
        period_start = period_end + dt.timedelta(days=1)
        period_end = period_of(schedule, period_start)[1]


def days_between(first, last):
    "Return the number of days from first to last, both included"
    return (last - first).days + 1
