# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.
from collections import defaultdict

from trytond.i18n import gettext
from trytond.model import ModelSQL, ModelView, Unique, Workflow, fields
from trytond.modules.reguarantee_base.model import WorkflowGuardMixin
from trytond.pool import Pool
from trytond.pyson import Eval
from trytond.report import Report
from trytond.transaction import Transaction
from trytond.wizard import Button, StateTransition, StateView, Wizard

from .exceptions import MeetingError, VoteError, VoteValidationError
from .rule import Ballot

_states = {
    'readonly': Eval('state') != 'draft',
    }
_item_states = {
    'readonly': Eval('meeting_state') != 'draft',
    }


class Meeting(WorkflowGuardMixin, Workflow, ModelSQL, ModelView):
    __name__ = 'reguarantee.review.meeting'
    _deletable_states = {'draft'}

    company = fields.Many2One(
        'company.company', "Company", required=True, states=_states)
    name = fields.Char("Name", required=True, states=_states)
    date = fields.Date("Date", required=True, states=_states)
    location = fields.Char("Location", states=_states)
    chair = fields.Many2One(
        'res.user', "Chair", required=True, ondelete='RESTRICT',
        states=_states,
        help="The chair presides the meeting; with the veto of the rule, "
        "his reject refuses an approval.")
    rule = fields.Many2One(
        'reguarantee.review.rule', "Rule", required=True,
        ondelete='RESTRICT', states=_states,
        help="How the decision of each item is computed from its votes.")
    members = fields.One2Many(
        'reguarantee.review.member', 'meeting', "Members", states=_states)
    items = fields.One2Many(
        'reguarantee.review.item', 'meeting', "Items", states=_states)
    convened_date = fields.Date("Convened Date", readonly=True)
    closed_date = fields.Date("Closed Date", readonly=True)
    state = fields.Selection([
            ('draft', "Draft"),
            ('convened', "Convened"),
            ('closed', "Closed"),
            ], "State", readonly=True, required=True, sort=False)
    state_string = state.translated('state')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('date', 'DESC'), ('id', 'DESC')]
        cls._transitions |= {
            ('draft', 'convened'),
            ('convened', 'closed'),
            }
        cls._buttons.update({
                'convene': {
                    'invisible': Eval('state') != 'draft',
                    'icon': 'tryton-forward',
                    'depends': ['state'],
                    },
                'close': {
                    'invisible': Eval('state') != 'convened',
                    'icon': 'tryton-ok',
                    'depends': ['state'],
                    },
                'remind': {
                    'invisible': Eval('state') != 'convened',
                    'icon': 'tryton-notification',
                    'depends': ['state'],
                    },
                })

    @classmethod
    def default_company(cls):
        return Transaction().context.get('company')

    @classmethod
    def default_state(cls):
        return 'draft'

    @classmethod
    def default_chair(cls):
        return Transaction().user or None

    @classmethod
    def default_rule(cls):
        pool = Pool()
        Configuration = pool.get('reguarantee.configuration')
        Rule = pool.get('reguarantee.review.rule')
        rule = Configuration(1).review_rule
        if rule:
            return rule.id
        rules = Rule.search([], limit=1, order=[('id', 'ASC')])
        if rules:
            return rules[0].id

    def get_rec_name(self, name):
        return f'{self.name} ({self.date})' if self.date else self.name

    @classmethod
    def search_rec_name(cls, name, clause):
        return [('name', *clause[1:])]

    @property
    def voting_members(self):
        return [m for m in self.members if m.voting]

    @classmethod
    def copy(cls, meetings, default=None):
        default = default.copy() if default is not None else {}
        default.setdefault('items', None)
        default.setdefault('convened_date', None)
        default.setdefault('closed_date', None)
        return super().copy(meetings, default=default)

    @classmethod
    def validate_fields(cls, meetings, field_names):
        super().validate_fields(meetings, field_names)
        cls.check_members(meetings, field_names)

    @classmethod
    def check_members(cls, meetings, field_names=None):
        "Check a user is a member of a meeting once"
        if field_names and not ({'members'} & set(field_names)):
            return
        for meeting in meetings:
            users = set()
            for member in meeting.members:
                if member.user in users:
                    raise MeetingError(gettext(
                            'reguarantee_review.msg_member_unique',
                            user=member.user.rec_name,
                            meeting=meeting.rec_name))
                users.add(member.user)

    @classmethod
    def check_convene(cls, meetings):
        "Raise if a meeting cannot be convened"
        for meeting in meetings:
            if not meeting.voting_members:
                raise MeetingError(gettext(
                        'reguarantee_review.msg_meeting_no_voting_member',
                        meeting=meeting.rec_name))
            if meeting.chair not in [m.user for m in meeting.voting_members]:
                raise MeetingError(gettext(
                        'reguarantee_review.msg_meeting_chair_not_member',
                        meeting=meeting.rec_name,
                        chair=meeting.chair.rec_name))

    @classmethod
    @ModelView.button
    @Workflow.transition('convened')
    def convene(cls, meetings):
        pool = Pool()
        Date = pool.get('ir.date')
        Item = pool.get('reguarantee.review.item')
        cls.check_convene(meetings)
        Item.pick_up_deferred(meetings)
        # read the items picked up
        meetings = cls.browse(meetings)
        for meeting in meetings:
            if not meeting.items:
                raise MeetingError(gettext(
                        'reguarantee_review.msg_meeting_no_item',
                        meeting=meeting.rec_name))
        cls.write(meetings, {'convened_date': Date.today()})
        cls.notify_members(meetings, 'msg_meeting_convened_notification')

    @classmethod
    @ModelView.button
    @Workflow.transition('closed')
    def close(cls, meetings):
        pool = Pool()
        Date = pool.get('ir.date')
        Item = pool.get('reguarantee.review.item')
        items = [i for m in meetings for i in m.items]
        Item.decide(items)
        cls.write(meetings, {'closed_date': Date.today()})
        Item.carry([i for i in items if i.decision == 'deferred'])

    @classmethod
    @ModelView.button
    def remind(cls, meetings):
        cls.remind_missing_votes(meetings)

    @classmethod
    def remind_votes(cls):
        "Remind the members of the convened meetings of their missing votes"
        cls.remind_missing_votes(cls.search([('state', '=', 'convened')]))

    @classmethod
    def remind_missing_votes(cls, meetings):
        for meeting in meetings:
            if meeting.state != 'convened':
                continue
            missing = meeting.get_missing_votes()
            members = [m for m in meeting.voting_members if missing[m]]
            cls.notify_members(
                [meeting], 'msg_meeting_vote_missing_notification',
                members=members,
                count=lambda m: len(missing[m]))

    def get_missing_votes(self):
        "Return, per voting member, the items he did not vote on"
        missing = defaultdict(list)
        for item in self.items:
            voted = {v.member for v in item.votes}
            for member in self.voting_members:
                if member not in voted:
                    missing[member].append(item)
        return missing

    @classmethod
    def notify_members(cls, meetings, msg_id, members=None, count=None):
        "Notify the members of the meetings, in their language"
        pool = Pool()
        Lang = pool.get('ir.lang')
        for meeting in meetings:
            for member in (
                    members if members is not None else meeting.members):
                user = member.user
                language = user.language.code if user.language else None
                with Transaction().set_context(language=language):
                    lang = Lang.get()
                    label = gettext(
                        'reguarantee_review.' + msg_id,
                        meeting=meeting.name,
                        date=lang.strftime(meeting.date),
                        count=count(member) if count else len(meeting.items))
                cls.notify_user(
                    [meeting], 'tryton-notification', label, user=user.id)


class Member(ModelSQL, ModelView):
    __name__ = 'reguarantee.review.member'

    meeting = fields.Many2One(
        'reguarantee.review.meeting', "Meeting", required=True,
        ondelete='CASCADE')
    user = fields.Many2One(
        'res.user', "User", required=True, ondelete='RESTRICT')
    voting = fields.Boolean(
        "Voting", help="Only the voting members vote and count for "
        "the quorum.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('meeting_user_unique', Unique(t, t.meeting, t.user),
                'reguarantee_review.msg_member_unique_constraint'),
            ]

    @classmethod
    def default_voting(cls):
        return True

    def get_rec_name(self, name):
        return self.user.rec_name if self.user else str(self.id)

    @classmethod
    def search_rec_name(cls, name, clause):
        return [('user.rec_name', *clause[1:])]

    @classmethod
    def check_modification(cls, mode, members, values=None, external=False):
        super().check_modification(
            mode, members, values=values, external=external)
        if external:
            meetings = {m.meeting for m in members}
            if values and values.get('meeting'):
                meetings.add(
                    Pool().get('reguarantee.review.meeting')(
                        values['meeting']))
            for meeting in meetings:
                if meeting.state != 'draft':
                    raise MeetingError(gettext(
                            'reguarantee_review.msg_meeting_modify_draft',
                            meeting=meeting.rec_name))


class Item(ModelSQL, ModelView):
    __name__ = 'reguarantee.review.item'

    meeting = fields.Many2One(
        'reguarantee.review.meeting', "Meeting", required=True,
        ondelete='CASCADE', states=_item_states)
    meeting_state = fields.Function(
        fields.Selection('get_meeting_states', "Meeting State"),
        'on_change_with_meeting_state')
    meeting_date = fields.Function(
        fields.Date("Meeting Date"), 'on_change_with_meeting_date')
    sequence = fields.Integer("Sequence", states=_item_states)
    origin = fields.Reference(
        "Origin", selection='get_origins', required=True,
        states=_item_states,
        help="The record the committee decides on.")
    presenter = fields.Many2One(
        'res.user', "Presenter", ondelete='RESTRICT', states=_item_states,
        help="Who presents the item to the committee.")
    description = fields.Text("Description", states=_item_states)
    project = fields.Function(
        fields.Many2One('reguarantee.project', "Project"), 'get_project')
    institution = fields.Function(
        fields.Many2One('reguarantee.institution', "Institution"),
        'get_project_value')
    borrower = fields.Function(
        fields.Many2One('reguarantee.borrower', "Borrower"),
        'get_project_value')
    guarantee_amount = fields.Function(
        fields.Numeric("Guarantee Amount", digits=(16, 2)),
        'get_project_value')
    votes = fields.One2Many(
        'reguarantee.review.vote', 'item', "Votes", readonly=True)
    approve_count = fields.Function(
        fields.Integer("Approve"), 'get_tally')
    reject_count = fields.Function(
        fields.Integer("Reject"), 'get_tally')
    defer_count = fields.Function(
        fields.Integer("Defer"), 'get_tally')
    recused_count = fields.Function(
        fields.Integer("Recused"), 'get_tally')
    voted = fields.Function(
        fields.Boolean("Voted", help="Whether you voted on the item."),
        'get_voted', searcher='search_voted')
    decision = fields.Selection([
            (None, ""),
            ('approved', "Approved"),
            ('rejected', "Rejected"),
            ('deferred', "Deferred"),
            ], "Decision", readonly=True,
        help="Computed by the rule of the meeting when it is closed.")
    decision_string = decision.translated('decision')
    previous = fields.Many2One(
        'reguarantee.review.item', "Deferred From", readonly=True,
        ondelete='RESTRICT',
        help="The deferred item of an earlier meeting this one carries.")
    next_items = fields.One2Many(
        'reguarantee.review.item', 'previous', "Carried To", readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [
            ('meeting', 'DESC'), ('sequence', 'ASC NULLS FIRST'),
            ('id', 'ASC')]
        cls._buttons.update({
                'cast_vote': {
                    'invisible': Eval('meeting_state') != 'convened',
                    'icon': 'tryton-ok',
                    'depends': ['meeting_state'],
                    },
                })

    @classmethod
    def get_meeting_states(cls):
        pool = Pool()
        Meeting = pool.get('reguarantee.review.meeting')
        return Meeting.fields_get(['state'])['state']['selection']

    @fields.depends('meeting', '_parent_meeting.state')
    def on_change_with_meeting_state(self, name=None):
        return self.meeting.state if self.meeting else 'draft'

    @fields.depends('meeting', '_parent_meeting.date')
    def on_change_with_meeting_date(self, name=None):
        return self.meeting.date if self.meeting else None

    @classmethod
    def _get_origins(cls):
        """Return the models of the records the committee decides on: the
        hook of the modules that add some (e.g. direct guarantees)"""
        return ['reguarantee.project', 'reguarantee.compensation']

    @classmethod
    def get_origins(cls):
        pool = Pool()
        IrModel = pool.get('ir.model')
        get_name = IrModel.get_name
        return [(None, '')] + [(m, get_name(m)) for m in cls._get_origins()]

    def get_project(self, name):
        "Return the project of the origin: itself or its compensation's"
        pool = Pool()
        Project = pool.get('reguarantee.project')
        origin = self.origin
        if isinstance(origin, Project):
            return origin.id
        project = getattr(origin, 'project', None)
        if isinstance(project, Project):
            return project.id

    def get_project_value(self, name):
        project = self.project
        if project:
            value = getattr(project, name)
            return value.id if hasattr(value, 'id') else value

    def get_rec_name(self, name):
        origin = self.origin.rec_name if self.origin else ''
        if self.meeting:
            return f'{origin} @ {self.meeting.rec_name}'
        return origin or str(self.id)

    def get_ballots(self):
        "Return the Ballots of the voting members on the item"
        chair = self.meeting.chair
        return [
            Ballot(v.vote, v.recused, v.member.user == chair)
            for v in self.votes if v.member.voting]

    @classmethod
    def get_tally(cls, items, names):
        result = {n: {} for n in names}
        for item in items:
            tally = item.tally()
            for name in names:
                result[name][item.id] = getattr(tally, name[:-len('_count')])
        return result

    def tally(self):
        "Return the Tally of the item's votes under the meeting's rule"
        return self.meeting.rule.decide(
            len(self.meeting.voting_members), self.get_ballots())

    @classmethod
    def get_voted(cls, items, name):
        user = Transaction().user
        return {
            i.id: any(v.member.user.id == user for v in i.votes)
            for i in items}

    @classmethod
    def search_voted(cls, name, clause):
        pool = Pool()
        Member = pool.get('reguarantee.review.member')
        Vote = pool.get('reguarantee.review.vote')
        vote = Vote.__table__()
        member = Member.__table__()
        _, operator, value = clause
        voted = vote.join(member, condition=vote.member == member.id).select(
            vote.item, where=member.user == Transaction().user)
        if (operator == '=') == bool(value):
            return [('id', 'in', voted)]
        return [('id', 'not in', voted)]

    @classmethod
    def decide(cls, items):
        "Set the decision of the items from their votes"
        decisions = defaultdict(list)
        for item in items:
            decisions[item.tally().decision].append(item)
        for decision, sub_items in decisions.items():
            cls.write(sub_items, {'decision': decision})

    @classmethod
    def carry(cls, items):
        """Carry the deferred items to the next meeting in draft of their
        company; those without one are picked up by the next meeting
        convened (see pick_up_deferred)"""
        pool = Pool()
        Meeting = pool.get('reguarantee.review.meeting')
        to_create = []
        for item in items:
            if item.next_items:
                continue
            meetings = Meeting.search([
                    ('company', '=', item.meeting.company.id),
                    ('state', '=', 'draft'),
                    ('date', '>=', item.meeting.date),
                    ('id', '!=', item.meeting.id),
                    ], order=[('date', 'ASC'), ('id', 'ASC')], limit=1)
            if meetings:
                meeting, = meetings
                to_create.append(item.get_carried(meeting))
        cls.save(to_create)

    def get_carried(self, meeting):
        "Return the unsaved item that carries the item to meeting"
        return self.__class__(
            meeting=meeting, origin=self.origin, presenter=self.presenter,
            description=self.description, previous=self)

    @classmethod
    def pick_up_deferred(cls, meetings):
        "Add to the meetings the deferred items not carried yet"
        to_create = []
        for meeting in meetings:
            origins = {i.origin for i in meeting.items}
            deferred = cls.search([
                    ('decision', '=', 'deferred'),
                    ('meeting.state', '=', 'closed'),
                    ('meeting.company', '=', meeting.company.id),
                    ('next_items', '=', None),
                    ], order=[('id', 'ASC')])
            for item in deferred:
                if item.origin not in origins:
                    to_create.append(item.get_carried(meeting))
                    origins.add(item.origin)
        cls.save(to_create)

    @classmethod
    def copy(cls, items, default=None):
        default = default.copy() if default is not None else {}
        for name in ['votes', 'decision', 'previous', 'next_items']:
            default.setdefault(name, None)
        return super().copy(items, default=default)

    @classmethod
    def check_modification(cls, mode, items, values=None, external=False):
        super().check_modification(
            mode, items, values=values, external=external)
        if not external:
            return
        pool = Pool()
        Meeting = pool.get('reguarantee.review.meeting')
        meetings = {i.meeting for i in items}
        if values and values.get('meeting'):
            meetings.add(Meeting(values['meeting']))
        for meeting in meetings:
            if meeting.state != 'draft':
                raise MeetingError(gettext(
                        'reguarantee_review.msg_meeting_modify_draft',
                        meeting=meeting.rec_name))
        if mode == 'write' and values.keys() & {
                'decision', 'previous', 'votes'}:
            raise MeetingError(gettext(
                    'reguarantee_review.msg_item_decision_write'))

    @classmethod
    @ModelView.button_action('reguarantee_review.wizard_vote_cast')
    def cast_vote(cls, items):
        pass


class Vote(ModelSQL, ModelView):
    __name__ = 'reguarantee.review.vote'

    item = fields.Many2One(
        'reguarantee.review.item', "Item", required=True, readonly=True,
        ondelete='CASCADE')
    member = fields.Many2One(
        'reguarantee.review.member', "Member", required=True, readonly=True,
        ondelete='RESTRICT')
    vote = fields.Selection([
            (None, ""),
            ('approve', "Approve"),
            ('reject', "Reject"),
            ('defer', "Defer"),
            ], "Vote", readonly=True)
    vote_string = vote.translated('vote')
    recused = fields.Boolean(
        "Recused", readonly=True,
        help="The member has a conflict of interest and does not vote; "
        "he still counts for the quorum.")
    comment = fields.Text("Comment", readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('item_member_unique', Unique(t, t.item, t.member),
                'reguarantee_review.msg_vote_unique'),
            ]
        cls._order = [('item', 'ASC'), ('id', 'ASC')]

    def get_rec_name(self, name):
        return f'{self.member.rec_name}: {self.item.rec_name}'

    @classmethod
    def validate_fields(cls, votes, field_names):
        super().validate_fields(votes, field_names)
        for vote in votes:
            if bool(vote.vote) == bool(vote.recused):
                raise VoteValidationError(gettext(
                        'reguarantee_review.msg_vote_or_recuse',
                        member=vote.member.rec_name,
                        item=vote.item.rec_name))

    @classmethod
    def check_modification(cls, mode, votes, values=None, external=False):
        super().check_modification(
            mode, votes, values=values, external=external)
        if mode == 'delete' or (mode == 'write' and external):
            for vote in votes:
                raise VoteError(gettext(
                        'reguarantee_review.msg_vote_kept',
                        member=vote.member.rec_name,
                        item=vote.item.rec_name))
        elif mode == 'create':
            user = Transaction().user
            for vote in votes:
                meeting = vote.item.meeting
                if vote.member.meeting != meeting:
                    raise VoteError(gettext(
                            'reguarantee_review.msg_vote_member_meeting',
                            member=vote.member.rec_name,
                            meeting=meeting.rec_name))
                if meeting.state != 'convened':
                    raise VoteError(gettext(
                            'reguarantee_review.msg_vote_convened',
                            item=vote.item.rec_name,
                            meeting=meeting.rec_name))
                if not vote.member.voting:
                    raise VoteError(gettext(
                            'reguarantee_review.msg_vote_not_voting',
                            member=vote.member.rec_name,
                            meeting=meeting.rec_name))
                if external and vote.member.user.id != user:
                    raise VoteError(gettext(
                            'reguarantee_review.msg_vote_himself',
                            member=vote.member.rec_name,
                            item=vote.item.rec_name))


class VoteCastStart(ModelView):
    __name__ = 'reguarantee.review.vote.cast.start'

    item = fields.Many2One(
        'reguarantee.review.item', "Item", readonly=True)
    recused = fields.Boolean(
        "Recuse",
        help="Check if you have a conflict of interest on the item.")
    vote = fields.Selection([
            (None, ""),
            ('approve', "Approve"),
            ('reject', "Reject"),
            ('defer', "Defer"),
            ], "Vote",
        states={
            'required': ~Eval('recused', False),
            'invisible': Eval('recused', False),
            })
    comment = fields.Text("Comment")


class VoteCast(Wizard):
    __name__ = 'reguarantee.review.vote.cast'

    start = StateView(
        'reguarantee.review.vote.cast.start',
        'reguarantee_review.vote_cast_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Cast", 'cast', 'tryton-ok', default=True),
            ])
    cast = StateTransition()

    def default_start(self, fields):
        return {'item': self.record.id if self.record else None}

    def transition_cast(self):
        pool = Pool()
        Vote = pool.get('reguarantee.review.vote')
        user = Transaction().user
        item = self.record
        members = [
            m for m in item.meeting.members if m.user.id == user]
        if not members:
            raise VoteError(gettext(
                    'reguarantee_review.msg_vote_no_member',
                    meeting=item.meeting.rec_name))
        member, = members
        Vote.create([{
                    'item': item.id,
                    'member': member.id,
                    'vote': None if self.start.recused else self.start.vote,
                    'recused': self.start.recused,
                    'comment': self.start.comment,
                    }])
        return 'end'


class Minutes(Report):
    __name__ = 'reguarantee.review.meeting.minutes'

    @classmethod
    def get_context(cls, records, header, data):
        pool = Pool()
        Lang = pool.get('ir.lang')
        context = super().get_context(records, header, data)
        context['lang'] = Lang.get()
        return context
