# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.
"""The review report of a committee item (评审报告): an ODT made from the
item's origin (its project, compensation or classification change) and the
borrower's latest business-information look-up, which the presenter
completes with his opinion

Each report generated (or completed document uploaded) is kept as a version
of the item: the members read the version of the meeting, and what the
committee had before it when it voted stays as it was.  No version is made
once the meeting is closed."""
import datetime as dt
from types import SimpleNamespace

from trytond.i18n import gettext
from trytond.model import ModelSQL, ModelView, Unique, fields
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval
from trytond.report import Report
from trytond.transaction import Transaction
from trytond.wizard import Button, StateTransition, StateView, Wizard

from .exceptions import ReviewReportError, ReviewReportWarning
from .lookup import REGISTERED_KINDS, _items

#: The most inspections and risk signals a report lists, latest first
MAX_LISTED = 10


class ReviewItem(metaclass=PoolMeta):
    __name__ = 'reguarantee.review.item'

    review_reports = fields.One2Many(
        'reguarantee.review.report', 'item', "Review Reports", readonly=True,
        help="Every version of the item's review report, latest first.")
    review_report = fields.Function(
        fields.Binary("Review Report", filename='review_report_filename',
            help="The latest version of the review report."),
        'get_review_report')
    review_report_filename = fields.Function(
        fields.Char("Review Report File"), 'get_review_report')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._buttons.update({
                'generate_review_report': {
                    'invisible': Eval('meeting_state') == 'closed',
                    'icon': 'tryton-print',
                    'depends': ['meeting_state'],
                    },
                })

    @classmethod
    def get_review_report(cls, items, names):
        pool = Pool()
        Report = pool.get('reguarantee.review.report')
        latest = Report.get_latest(items)
        result = {n: {} for n in names}
        for item in items:
            report = latest.get(item.id)
            if 'review_report' in result:
                result['review_report'][item.id] = (
                    report.document if report else None)
            if 'review_report_filename' in result:
                result['review_report_filename'][item.id] = (
                    report.filename if report else None)
        return result

    @classmethod
    def copy(cls, items, default=None):
        default = default.copy() if default is not None else {}
        default.setdefault('review_reports', None)
        return super().copy(items, default=default)

    @classmethod
    @ModelView.button_action('reguarantee_credit.wizard_review_report')
    def generate_review_report(cls, items):
        pass

    def get_review_borrower(self):
        "Return the borrower the item's report is about, or None"
        project = self.project
        if project:
            return project.borrower
        return getattr(self.origin, 'borrower', None) or getattr(
            self.origin, 'applicant', None)


class ReviewReport(ModelSQL, ModelView):
    __name__ = 'reguarantee.review.report'

    item = fields.Many2One(
        'reguarantee.review.item', "Item", required=True, readonly=True,
        ondelete='CASCADE')
    meeting = fields.Function(
        fields.Many2One('reguarantee.review.meeting', "Meeting"),
        'get_meeting')
    version = fields.Integer(
        "Version", required=True, readonly=True,
        help="The versions of an item's report are numbered from 1.")
    kind = fields.Selection([
            ('generated', "Generated"),
            ('uploaded', "Completed by the Presenter"),
            ], "Kind", required=True, readonly=True)
    date = fields.DateTime("Date", required=True, readonly=True)
    prepared_by = fields.Many2One(
        'res.user', "Prepared by", readonly=True, ondelete='RESTRICT')
    lookup = fields.Many2One(
        'reguarantee.credit.lookup', "Look-up", readonly=True,
        ondelete='RESTRICT',
        help="The borrower's look-up the report was made from.")
    lookup_date = fields.DateTime(
        "Looked up on", readonly=True,
        help="The date of the look-up the report was made from; empty when "
        "the borrower had none.")
    opinion = fields.Text(
        "Presenter's Opinion", readonly=True,
        help="The presenter's opinion written in the report.")
    document = fields.Binary(
        "Document", filename='filename', required=True, readonly=True)
    filename = fields.Char("File Name", required=True, readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('item_version_unique', Unique(t, t.item, t.version),
                'reguarantee_credit.msg_review_report_version_unique'),
            ]
        cls._order = [('item', 'DESC'), ('version', 'DESC'), ('id', 'DESC')]

    def get_meeting(self, name):
        return self.item.meeting.id

    def get_rec_name(self, name):
        return self.filename

    @classmethod
    def search_rec_name(cls, name, clause):
        return [('filename', *clause[1:])]

    @classmethod
    def check_modification(cls, mode, reports, values=None, external=False):
        super().check_modification(
            mode, reports, values=values, external=external)
        if external and mode in {'create', 'write', 'delete'}:
            raise ReviewReportError(gettext(
                    'reguarantee_credit.msg_review_report_read_only'))

    @classmethod
    def get_latest(cls, items):
        "Return the latest report by item id"
        latest = {}
        for report in cls.search([
                    ('item', 'in', [i.id for i in items]),
                    ], order=[('item', 'ASC'), ('version', 'ASC')]):
            latest[report.item.id] = report
        return latest

    @classmethod
    def make(cls, item, opinion=None, document=None, filename=None):
        """Return the new version of the item's report: the document given
        (completed by the presenter) or the one generated from the item and
        the borrower's latest look-up

        The versions before it are kept; none is made once the meeting is
        closed."""
        pool = Pool()
        Lookup = pool.get('reguarantee.credit.lookup')
        Document = pool.get(
            'reguarantee.review.report.document', type='report')
        if item.meeting.state == 'closed':
            raise ReviewReportError(gettext(
                    'reguarantee_credit.msg_review_report_closed',
                    item=item.rec_name, meeting=item.meeting.rec_name))
        # one version at a time: the numbers follow each other
        item.__class__.lock([item])
        previous = cls.get_latest([item]).get(item.id)
        version = previous.version + 1 if previous else 1
        if document:
            kind = 'uploaded'
            # completed from the version before it
            lookup = previous.lookup if previous else None
            if not filename:
                raise ReviewReportError(gettext(
                        'reguarantee_credit.msg_review_report_filename',
                        item=item.rec_name))
            name, _, extension = filename.rpartition('.')
            filename = gettext(
                'reguarantee_credit.msg_review_report_uploaded_name',
                name=name or extension, version=version) + (
                '.' + extension if name else '')
        else:
            kind = 'generated'
            borrower = item.get_review_borrower()
            lookup = Lookup.get_latest([borrower]).get(
                str(borrower)) if borrower else None
            extension, document, _, _ = Document.execute([item.id], {
                    'opinion': opinion,
                    'lookup': lookup.id if lookup else None,
                    'version': version,
                    })
            filename = gettext(
                'reguarantee_credit.msg_review_report_name',
                item=item.origin.rec_name if item.origin else item.id,
                version=version) + '.' + extension
        report, = cls.create([{
                    'item': item.id,
                    'version': version,
                    'kind': kind,
                    'date': dt.datetime.now(),
                    'prepared_by': Transaction().user or None,
                    'lookup': lookup.id if lookup else None,
                    'lookup_date': lookup.date if lookup else None,
                    'opinion': opinion,
                    'document': document,
                    'filename': filename,
                    }])
        return report


class ReviewReportGenerateStart(ModelView):
    __name__ = 'reguarantee.review.report.generate.start'

    item = fields.Many2One(
        'reguarantee.review.item', "Item", readonly=True)
    lookup_date = fields.DateTime(
        "Looked up on", readonly=True,
        help="The date of the borrower's latest look-up, which the report "
        "shows: ask a new one on the borrower first if it is too old.")
    opinion = fields.Text(
        "Presenter's Opinion",
        help="Written in the report; the opinion of the previous version "
        "is proposed.")
    document = fields.Binary(
        "Completed Document", filename='filename',
        help="The report completed outside the system (e.g. in a word "
        "processor), kept instead of a generated one.")
    filename = fields.Char("File Name")


class ReviewReportGenerate(Wizard):
    __name__ = 'reguarantee.review.report.generate'

    start = StateView(
        'reguarantee.review.report.generate.start',
        'reguarantee_credit.review_report_generate_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Generate", 'generate', 'tryton-ok', default=True),
            ])
    generate = StateTransition()

    def default_start(self, fields):
        pool = Pool()
        Lookup = pool.get('reguarantee.credit.lookup')
        Report = pool.get('reguarantee.review.report')
        item = self.record
        values = {'item': item.id}
        borrower = item.get_review_borrower()
        if borrower:
            lookup = Lookup.get_latest([borrower]).get(str(borrower))
            if lookup:
                values['lookup_date'] = lookup.date
        latest = Report.get_latest([item]).get(item.id)
        if latest:
            values['opinion'] = latest.opinion
        return values

    def transition_generate(self):
        pool = Pool()
        Lookup = pool.get('reguarantee.credit.lookup')
        Report = pool.get('reguarantee.review.report')
        Warning = pool.get('res.user.warning')
        item = self.record
        borrower = item.get_review_borrower()
        if (not self.start.document and borrower
                and borrower.kind in REGISTERED_KINDS
                and not Lookup.get_latest([borrower])):
            key = Warning.format('review_report_no_lookup', [item])
            if Warning.check(key):
                raise ReviewReportWarning(key, gettext(
                        'reguarantee_credit.msg_review_report_no_lookup',
                        borrower=borrower.rec_name))
        Report.make(
            item, opinion=self.start.opinion, document=self.start.document,
            filename=self.start.filename)
        return 'end'

    def end(self):
        return 'reload'


def _selection(record, name):
    "Return the text of the value of the selection field name of record"
    value = getattr(record, name, None)
    if value is None:
        return ''
    selection = record.__class__.fields_get([name])[name]['selection']
    return dict(selection).get(value, value)


class ReviewReportDocument(Report):
    __name__ = 'reguarantee.review.report.document'

    @classmethod
    def get_context(cls, records, header, data):
        pool = Pool()
        Lang = pool.get('ir.lang')
        Lookup = pool.get('reguarantee.credit.lookup')
        context = super().get_context(records, header, data)
        lang = Lang.get()
        lookup = Lookup(data['lookup']) if data.get('lookup') else None
        context['lang'] = lang
        context['reviews'] = [
            cls.get_review(item, lookup, data, lang) for item in records]
        return context

    @classmethod
    def get_review(cls, item, lookup, data, lang):
        """Return what the template shows of the item: its records and the
        look-up's lists, the amounts and dates formatted"""
        pool = Pool()
        Compensation = pool.get('reguarantee.compensation')
        IrModel = pool.get('ir.model')
        Project = pool.get('reguarantee.project')
        origin = item.origin
        project = item.project
        borrower = item.get_review_borrower()
        currency = (
            project.currency if project else item.meeting.company.currency)

        def amount(value):
            if value is None:
                return ''
            return lang.currency(value, currency, grouping=True)

        def date(value):
            return lang.strftime(value) if value else ''

        def capital(value):
            return lang.format_number(value, 2, True) if value else ''

        review = SimpleNamespace(
            item=item, meeting=item.meeting, origin=origin,
            origin_kind=IrModel.get_name(origin.__name__) if origin else '',
            project=project, borrower=borrower,
            compensation=origin if isinstance(origin, Compensation) else None,
            change=(
                origin if getattr(origin, '__name__', None)
                == 'reguarantee.classification.change' else None),
            version=data.get('version') or '',
            opinion=data.get('opinion') or '',
            amount=amount, date=date, selection=_selection,
            lines=lambda text, empty='': (text or '').splitlines() or [empty],
            one_line=lambda text: '; '.join((text or '').splitlines()),
            today=lang.strftime(pool.get('ir.date').today()),
            user=pool.get('res.user')(Transaction().user),
            registered=bool(borrower and borrower.kind in REGISTERED_KINDS),
            lookup=lookup, lookup_date='', registration={},
            shareholders=[], changes=[], lawsuits=[], enforcements=[],
            abnormal_operations=[], differences='', capital='',
            inspections=[], signals=[])
        if isinstance(project, Project):
            review.inspections = sorted(
                getattr(project, 'inspections', None) or [],
                key=lambda i: i.due_date or dt.date.min,
                reverse=True)[:MAX_LISTED]
        if borrower:
            Signal = pool.get('reguarantee.risk.signal')
            review.signals = Signal.search(
                [('borrower', '=', borrower.id)],
                order=[('date', 'DESC'), ('id', 'DESC')], limit=MAX_LISTED)
        if lookup:
            payload = lookup.data
            registration = payload.get('registration')
            review.registration = (
                registration if isinstance(registration, dict) else {})
            review.lookup_date = lang.strftime(lookup.date.date())
            review.capital = capital(lookup.registered_capital)
            review.shareholders = [{
                    'name': s.get('name') or '',
                    'share': cls._share(s.get('share'), lang),
                    'controller': bool(s.get('controller')),
                    } for s in _items(payload, 'shareholders')]
            for name, key in [
                    ('changes', 'changes'),
                    ('lawsuits', 'lawsuits'),
                    ('enforcements', 'enforcements'),
                    ('abnormal_operations', 'abnormalOperations'),
                    ]:
                setattr(review, name, [
                        {k: str(v) if v is not None else ''
                            for k, v in i.items()}
                        for i in _items(payload, key)])
            review.differences = lookup.differences or ''
        return review

    @staticmethod
    def _share(value, lang):
        "Return the share (0.7000) as a percentage (70.00 %)"
        try:
            return lang.format('%.2f', float(value) * 100) + ' %'
        except (TypeError, ValueError):
            return str(value or '')
