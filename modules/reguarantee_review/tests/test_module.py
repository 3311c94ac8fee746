# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.
import datetime as dt
import unittest
from decimal import Decimal

from trytond.exceptions import UserError
from trytond.model.exceptions import AccessError, SQLConstraintError
from trytond.modules.company.tests import (
    CompanyTestMixin, create_company, set_company)
from trytond.modules.reguarantee_base.tests import (
    WorkflowGuardTestMixin, ZhCNTranslationTestMixin)
from trytond.modules.reguarantee_base.tests.records import create_projects
from trytond.modules.reguarantee_review.exceptions import (
    MeetingError, ReviewRequiredError, VoteError)
from trytond.modules.reguarantee_review.rule import (
    TWO_THIRDS, Ballot, decide, share)
from trytond.pool import Pool
from trytond.tests.test_tryton import ModuleTestCase, with_transaction
from trytond.transaction import Transaction


def ballots(*votes, chair=None):
    "Return the ballots of votes; 'recused' recuses; chair: its index"
    return [
        Ballot(None if v == 'recused' else v, v == 'recused', i == chair)
        for i, v in enumerate(votes)]


class DecisionRuleTestCase(unittest.TestCase):
    "Test the decision rule on hand-worked meetings"

    def test_share_two_thirds(self):
        "Test 2 of 3 reaches the default two thirds"
        # 2 / 3 = 0.666666… rounded to 4 digits: 0.6667 = TWO_THIRDS
        self.assertEqual(share(2, 3), TWO_THIRDS)
        self.assertEqual(share(0, 0), 0)

    def test_quorum_reached(self):
        "Test 4 of 6 voting members present reach the quorum"
        # present 4 / 6 = 0.6667 >= 0.6667; approve 3 / 4 = 0.75
        tally = decide(6, ballots('approve', 'approve', 'approve', 'reject'))
        self.assertTrue(tally.quorum)
        self.assertEqual(tally.approval, Decimal('0.75'))
        self.assertEqual(tally.decision, 'approved')

    def test_no_quorum(self):
        "Test 3 of 5 voting members present miss the quorum: deferred"
        # present 3 / 5 = 0.6 < 0.6667, although all 3 approve
        tally = decide(5, ballots('approve', 'approve', 'approve'))
        self.assertFalse(tally.quorum)
        self.assertEqual(tally.decision, 'deferred')

    def test_threshold_at_least(self):
        "Test 2 approve of 3 cast reach the threshold (at least)"
        # approve 2 / 3 = 0.6667 >= 0.6667
        tally = decide(3, ballots('approve', 'approve', 'reject'))
        self.assertEqual(tally.decision, 'approved')

    def test_threshold_missed(self):
        "Test 3 approve of 5 cast miss the threshold: rejected"
        # approve 3 / 5 = 0.6 < 0.6667; 2 reject > 0 defer
        tally = decide(5, ballots(
                'approve', 'approve', 'approve', 'reject', 'reject'))
        self.assertEqual(tally.approval, Decimal('0.6'))
        self.assertEqual(tally.decision, 'rejected')

    def test_defer_counted(self):
        "Test the defer votes are cast votes and can defer the item"
        # approve 3 / 5 = 0.6 < 0.6667 (without the 2 defers it would be
        # 3 / 3 = 1); 2 defer > 0 reject: deferred
        tally = decide(5, ballots(
                'approve', 'approve', 'approve', 'defer', 'defer'))
        self.assertEqual(tally.cast, 5)
        self.assertEqual(tally.decision, 'deferred')

    def test_recusal(self):
        "Test a recusal counts for the quorum but not among the votes cast"
        # 5 voting: present 4 / 5 = 0.8 (the recusal counts);
        # cast 3 (the recusal is an abstention): approve 2 / 3 = 0.6667
        tally = decide(5, ballots('approve', 'approve', 'reject', 'recused'))
        self.assertEqual(tally.present, 4)
        self.assertEqual(tally.cast, 3)
        self.assertEqual(tally.recused, 1)
        self.assertEqual(tally.decision, 'approved')
        # had he voted reject: 2 / 4 = 0.5: rejected
        tally = decide(5, ballots('approve', 'approve', 'reject', 'reject'))
        self.assertEqual(tally.decision, 'rejected')

    def test_recusal_for_quorum(self):
        "Test the recusals make the quorum, every other voted"
        # 3 voting: 2 recused + 1 approve: present 3 / 3, approve 1 / 1
        tally = decide(3, ballots('recused', 'recused', 'approve'))
        self.assertTrue(tally.quorum)
        self.assertEqual(tally.decision, 'approved')
        # nobody cast a vote: deferred
        tally = decide(2, ballots('recused', 'recused'))
        self.assertEqual(tally.decision, 'deferred')

    def test_chair_veto(self):
        "Test the chair's reject refuses an approval above the threshold"
        # approve 4 / 5 = 0.8 >= 0.6667, but the chair rejects
        votes = ('reject', 'approve', 'approve', 'approve', 'approve')
        tally = decide(5, ballots(*votes, chair=0))
        self.assertTrue(tally.vetoed)
        self.assertEqual(tally.decision, 'rejected')
        # without the veto in the rule, approved
        tally = decide(5, ballots(*votes, chair=0), chair_veto=False)
        self.assertEqual(tally.decision, 'approved')
        # a reject of another member is no veto
        tally = decide(5, ballots(*votes, chair=1))
        self.assertFalse(tally.vetoed)
        self.assertEqual(tally.decision, 'approved')

    def test_configured_rule(self):
        "Test a simple majority rule"
        # quorum 1/2: 3 / 6 = 0.5; threshold 1/2: 2 / 4 = 0.5 (at least)
        tally = decide(
            6, ballots('approve', 'approve', 'reject', 'defer'),
            quorum=Decimal('0.5'), threshold=Decimal('0.5'))
        self.assertEqual(tally.decision, 'approved')


class ReguaranteeReviewTestCase(
        WorkflowGuardTestMixin, ZhCNTranslationTestMixin, CompanyTestMixin,
        ModuleTestCase):
    "Test Re-guarantee Review module"
    module = 'reguarantee_review'

    def create_meeting(self, company, voting=3, non_voting=0):
        "Create a draft meeting of new users, the first chairs it"
        pool = Pool()
        User = pool.get('res.user')
        Meeting = pool.get('reguarantee.review.meeting')
        Rule = pool.get('reguarantee.review.rule')
        ModelData = pool.get('ir.model.data')
        group = ModelData.get_id('reguarantee_review', 'group_review_member')
        users = User.create([{
                    'login': f'member{i}', 'name': f'Member {i}',
                    'groups': [('add', [group])],
                    } for i in range(voting + non_voting)])
        rule, = Rule.search([], limit=1)
        meeting, = Meeting.create([{
                    'company': company.id,
                    'name': "Meeting",
                    'date': dt.date(2026, 3, 2),
                    'chair': users[0].id,
                    'rule': rule.id,
                    'members': [('create', [
                                {'user': u.id, 'voting': i < voting}
                                for i, u in enumerate(users)])],
                    }])
        return meeting, users

    def create_projects(self, company, count):
        "Create count submitted projects of 365,000"
        return create_projects(count, 'submitted')

    def add_item(self, meeting, origin):
        pool = Pool()
        Item = pool.get('reguarantee.review.item')
        item, = Item.create([{'meeting': meeting.id, 'origin': str(origin)}])
        return item

    @with_transaction()
    def test_default_rule(self):
        "Test the default rule is two thirds with the chair's veto"
        pool = Pool()
        Rule = pool.get('reguarantee.review.rule')
        rule, = Rule.search([])
        self.assertEqual(rule.quorum, TWO_THIRDS)
        self.assertEqual(rule.threshold, TWO_THIRDS)
        self.assertTrue(rule.chair_veto)

    @with_transaction()
    def test_vote_guards(self):
        "Test a member votes himself, once, while convened; kept"
        pool = Pool()
        Meeting = pool.get('reguarantee.review.meeting')
        Vote = pool.get('reguarantee.review.vote')
        Item = pool.get('reguarantee.review.item')
        company = create_company()
        with set_company(company):
            project, = self.create_projects(company, 1)
            meeting, users = self.create_meeting(company, non_voting=1)
            item = self.add_item(meeting, project)
            member, other, _, observer = meeting.members

            def vote(member, vote='approve', user=None):
                with Transaction().set_user(user or member.user.id), \
                        Transaction().set_context(_check_access=True):
                    return Vote.create([{
                                'item': item.id, 'member': member.id,
                                'vote': vote}])

            def check(member, user=None):
                "Check the creation of a vote, whose failure is not undone"
                with Transaction().set_user(user or member.user.id):
                    Vote.check_modification('create', [Vote(
                                item=item, member=member, vote='approve')],
                        external=True)

            # draft: no vote
            with self.assertRaises(VoteError):
                check(member)
            Meeting.convene([meeting])
            # for somebody else
            with self.assertRaises(VoteError):
                check(member, user=other.user.id)
            # a non-voting member
            with self.assertRaises(VoteError):
                check(observer)
            cast, = vote(member)
            # kept
            with self.assertRaises(AccessError):
                with Transaction().set_user(member.user.id), \
                        Transaction().set_context(_check_access=True):
                    Vote.write([cast], {'vote': 'reject'})
            # even with write access
            cast = Vote(cast.id)
            with self.assertRaises(VoteError):
                Vote.check_modification(
                    'write', [cast], {'vote': 'reject'}, external=True)
            with self.assertRaises(VoteError):
                Vote.delete([cast])
            # the agenda is closed
            with self.assertRaises(MeetingError):
                with Transaction().set_context(_check_access=True):
                    Item.create([{
                                'meeting': meeting.id,
                                'origin': str(project)}])
            # once (the last check: the failed insert ends the transaction)
            with self.assertRaises(SQLConstraintError):
                vote(member, 'reject')

    @with_transaction()
    def test_meeting_close_carries_deferred(self):
        "Test closing decides the items and carries the deferred ones"
        pool = Pool()
        Meeting = pool.get('reguarantee.review.meeting')
        Vote = pool.get('reguarantee.review.vote')
        company = create_company()
        with set_company(company):
            projects = self.create_projects(company, 2)
            meeting, users = self.create_meeting(company)
            approved = self.add_item(meeting, projects[0])
            deferred = self.add_item(meeting, projects[1])
            later, = Meeting.copy([meeting], default={
                    'date': dt.date(2026, 4, 6)})
            Meeting.convene([meeting])
            chair, second, third = meeting.members
            Vote.create([
                    {'item': approved.id, 'member': m.id, 'vote': 'approve'}
                    for m in meeting.members]
                + [{
                        'item': deferred.id, 'member': chair.id,
                        'vote': 'approve'}])
            Meeting.close([meeting])
            # 3 of 3 approve; 1 of 3 present: no quorum
            self.assertEqual(approved.decision, 'approved')
            self.assertEqual(deferred.decision, 'deferred')
            carried, = later.items
            self.assertEqual(carried.origin, deferred.origin)
            self.assertEqual(carried.previous, deferred)

    @with_transaction()
    def test_convene_notifies(self):
        "Test convening notifies every member"
        pool = Pool()
        Meeting = pool.get('reguarantee.review.meeting')
        company = create_company()
        with set_company(company):
            project, = self.create_projects(company, 1)
            meeting, users = self.create_meeting(company)
            self.add_item(meeting, project)
            Meeting.convene([meeting])
            Meeting.remind([meeting])
            notifications = Transaction().user_notifications
            # convened and vote missing, for each of the 3
            self.assertEqual(
                sorted(n.user.id for n in notifications),
                sorted([u.id for u in users] * 2))

    @with_transaction()
    def test_project_file_needs_review(self):
        "Test a project above the review amount is filed once approved"
        pool = Pool()
        Configuration = pool.get('reguarantee.configuration')
        Meeting = pool.get('reguarantee.review.meeting')
        Project = pool.get('reguarantee.project')
        Vote = pool.get('reguarantee.review.vote')
        company = create_company()
        with set_company(company):
            big, small = self.create_projects(company, 2)
            Project.write([small], {'guarantee_amount': Decimal('300000')})
            configuration = Configuration(1)
            configuration.review_project_amount = Decimal('300000')
            configuration.save()
            self.assertEqual(
                [big.review_required, small.review_required], [True, False])
            with self.assertRaises(UserError) as cm:
                Project.file([big])
            self.assertIn(big.rec_name, cm.exception.message)
            Project.file([small])

            meeting, users = self.create_meeting(company)
            item = self.add_item(meeting, big)
            self.assertEqual(Project(big.id).review_decision, 'pending')
            Meeting.convene([meeting])
            Vote.create([
                    {'item': item.id, 'member': m.id, 'vote': v}
                    for m, v in zip(
                        meeting.members, ['approve', 'approve', 'reject'])])
            Meeting.close([meeting])
            big = Project(big.id)
            self.assertEqual(big.review_decision, 'approved')
            self.assertEqual(big.review_items, (item,))
            Project.file([big])
            self.assertEqual(big.state, 'filed')

    @with_transaction()
    def test_compensation_approve_needs_review(self):
        "Test a compensation above the review amount needs the committee"
        pool = Pool()
        Compensation = pool.get('reguarantee.compensation')
        Configuration = pool.get('reguarantee.configuration')
        company = create_company()
        with set_company(company):
            projects = self.create_projects(company, 2)
            compensations = Compensation.create([{
                        'project': project.id,
                        'default_date': dt.date(2024, 6, 1),
                        'principal': amount,
                        'interest': Decimal(0),
                        'amount_paid_by_institution': amount,
                        'claim_amount': amount * Decimal('0.2'),
                        'state': 'submitted',
                        } for project, amount in zip(projects, [
                            Decimal('300000'), Decimal('200000')])])
            configuration = Configuration(1)
            # claims: 60,000 and 40,000
            configuration.review_compensation_amount = Decimal('50000')
            configuration.save()
            big, small = compensations
            self.assertEqual(
                [big.review_required, small.review_required], [True, False])
            with self.assertRaises(ReviewRequiredError) as cm:
                Compensation.approve([big])
            self.assertIn(big.rec_name, cm.exception.message)
            Compensation.approve([small])
            self.assertEqual(small.state, 'approved')


del ModuleTestCase
