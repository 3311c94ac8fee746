# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.
"""The demo data of the review committee (reguarantee_review), loaded by
demo_data.py

Projects guaranteeing more than 4,000,000 yuan go to the committee; the
committee user chairs it, risk1 and risk2 vote, the business user attends
without a vote.  A closed meeting of three weeks ago approved
HSB-DEMO-0002 and deferred HSB-DEMO-0005, whose item was carried to the
upcoming meeting, convened and waiting for the votes; the minutes of the
closed meeting are attached to it.  Idempotent like demo_data.py, whose
helpers it is given."""
import datetime
from decimal import Decimal

#: Above this guarantee amount a project needs the committee
REVIEW_PROJECT_AMOUNT = Decimal('4000000')
#: The members: login, voting; the first chairs
MEMBERS = [
    ('committee', True), ('risk1', True), ('risk2', True),
    ('business', False)]
#: The meetings: name, days from today, items (loan contract number,
#: {login: (vote, comment)}) and whether the meeting is closed
CLOSED = ('2026年第1次项目评审会', -21, [
        ('HSB-DEMO-0002', {
                'committee': ('approve', "同意，关注借款人经营现金流。"),
                'risk1': ('approve', None),
                'risk2': ('approve', "反担保措施充足。"),
                }),
        ('HSB-DEMO-0005', {
                'committee': ('approve', None),
                'risk1': ('defer', "请补充借款人近三个月纳税记录后再议。"),
                'risk2': ('defer', None),
                }),
        ])
UPCOMING = ('2026年第2次项目评审会', 7)


def setup_review(demo):
    "demo: the running demo_data module (its connections and helpers)"
    from proteus import Report, Wizard
    Module = demo.model('ir.module')
    if not Module.find([
                ('name', '=', 'reguarantee_review'),
                ('state', '=', 'activated')]):
        return
    Configuration = demo.model('reguarantee.configuration')
    configuration = Configuration(1)
    if configuration.review_project_amount is None:
        configuration.review_project_amount = REVIEW_PROJECT_AMOUNT
        configuration.save()
    setup_members(demo)

    Meeting = demo.model('reguarantee.review.meeting', 'risk1')
    if Meeting.find([('name', '=', CLOSED[0])]):
        return
    User = demo.model('res.user', 'risk1')
    Project = demo.model('reguarantee.project', 'risk1')
    users = {
        login: User.find([('login', '=', login)])[0]
        for login, _ in MEMBERS}
    business = users['business']

    def new_meeting(name, days):
        meeting = Meeting(
            name=name, date=demo.TODAY + datetime.timedelta(days=days),
            location="公司三楼会议室", chair=users[MEMBERS[0][0]])
        for login, voting in MEMBERS:
            meeting.members.new(user=users[login], voting=voting)
        return meeting

    demo.log("creating the review meetings")
    name, days, items = CLOSED
    closed = new_meeting(name, days)
    for number, _ in items:
        project, = Project.find([('loan_contract_number', '=', number)])
        closed.items.new(
            origin=project, presenter=business,
            description="业务部汇报项目尽职调查情况。")
    closed.save()
    upcoming = new_meeting(*UPCOMING)
    upcoming.save()

    closed.click('convene')
    for item, (_, votes) in zip(closed.items, items):
        for login, (vote, comment) in votes.items():
            wizard = Wizard(
                'reguarantee.review.vote.cast',
                [demo.browse(item, login)], config=demo.as_user(login))
            wizard.form.vote = vote
            wizard.form.comment = comment
            wizard.execute('cast')
    closed = demo.browse(closed, 'risk1')
    closed.click('close')
    # the deferred item was carried to the upcoming meeting
    upcoming = demo.browse(upcoming, 'risk1')
    upcoming.click('convene')

    Attachment = demo.model('ir.attachment', 'risk1')
    minutes = Report(
        'reguarantee.review.meeting.minutes', config=demo.as_user('risk1'))
    ext, content, _, _ = minutes.execute([closed], {})
    Attachment(
        resource=closed, name=f'{closed.name}纪要.{ext}',
        data=content).save()


def setup_members(demo):
    "Put the members in the Review Committee Member group"
    Group = demo.model('res.group')
    User = demo.model('res.user')
    group = Group(demo.ref('reguarantee_review', 'group_review_member'))
    for login, voting in MEMBERS:
        if not voting:
            continue
        user, = User.find([('login', '=', login)])
        if group not in user.groups:
            user.groups.append(Group(group.id))
            user.save()
    demo.refresh_users()
