# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.
"""The demo data of post-guarantee management (reguarantee_monitoring),
loaded by demo_data.py

The administrator's plan rule (first report 30 days after the loan starts,
then every 3 months, an on-site visit 3 months before maturity, a quarter
of the reports spot-checked), the plans of the projects in force generated
by the business department and the daily cron (the past inspections are
overdue).  On ABC-DEMO-0003 the operator filed two reports, the second
with an overdue payment; the business department's on-site visit found the
collateral lost: the project is substandard (risk1 approved it, the
special mention the report proposed was superseded) and an upgrade waits
for the review committee.  A lawsuit signal made HSB-DEMO-0001 special
mention; HSB-DEMO-0002 stays normal, its first report due today.  Today's
risk snapshot is computed again with the classes.  Idempotent like
demo_data.py, whose helpers it is given."""
import datetime
from decimal import Decimal

RULE = "标准保后检查"


def setup_monitoring(demo):
    "demo: the running demo_data module (its connections and helpers)"
    from proteus import Wizard
    Module = demo.model('ir.module')
    if not Module.find([
                ('name', '=', 'reguarantee_monitoring'),
                ('state', '=', 'activated')]):
        return
    Rule = demo.model('reguarantee.inspection.plan.rule', 'manager')
    if Rule.find([('name', '=', RULE)]):
        return
    demo.log("creating the inspection plans")
    rule = Rule(name=RULE)
    rule.first_days = 30
    rule.period_months = 3
    rule.onsite_months = 3
    rule.spot_check_rate = Decimal('0.25')
    rule.save()
    Wizard(
        'reguarantee.inspection.plan.generate',
        config=demo.as_user('business')).execute('generate')
    Cron = demo.model('ir.cron')
    cron, = Cron.find([
            ('method', '=', 'reguarantee.inspection|check_due')])
    cron.click('run_once')

    Project = demo.model('reguarantee.project', 'business')
    Inspection = demo.model('reguarantee.inspection', 'operator')
    project3, = Project.find([('loan_contract_number', '=', 'ABC-DEMO-0003')])
    reports = Inspection.find([
            ('origin', '=', str(project3)),
            ('kind', '=', 'institution_report'),
            ], order=[('due_date', 'ASC')])
    for report, (findings, kinds, level) in zip(reports, [
                ("经营正常，按期付息，库存与账面一致。", [], None),
                ("借款人利息逾期 25 天，主要客户回款放缓。",
                    ['overdue_payment'], 'special_mention'),
                ]):
        report.findings = findings
        report.signal_kinds = kinds
        report.proposed_classification = level
        report.done_date = report.due_date + datetime.timedelta(days=5)
        report.click('complete')

    onsite, = demo.model('reguarantee.inspection', 'business').find([
            ('origin', '=', str(project3)),
            ('kind', '=', 'onsite'),
            ])
    onsite.findings = "现场走访：抵押厂房已被其他债权人查封，抵押物价值存疑。"
    onsite.signal_kinds = ['collateral_loss']
    onsite.proposed_classification = 'substandard'
    onsite.click('complete')

    Change = demo.model('reguarantee.classification.change', 'risk1')
    for change in Change.find([
                ('project', '=', project3.id),
                ('state', '=', 'proposed'),
                ], order=[('id', 'ASC')]):
        change.click(
            'approve' if change.to_level == 'substandard' else 'reject')
    upgrade = Change(
        project=demo.model('reguarantee.project', 'risk1')(project3.id))
    upgrade.to_level = 'special_mention'
    upgrade.reason = "借款人已补缴欠息，追加保证人，申请上调为关注类。"
    upgrade.save()

    Signal = demo.model('reguarantee.risk.signal', 'business')
    project1, = Project.find([('loan_contract_number', '=', 'HSB-DEMO-0001')])
    signal = Signal(
        project=project1,
        borrower=demo.model('reguarantee.borrower', 'business')(
            project1.borrower.id),
        kind='lawsuit',
        description="裁判文书网：借款人涉买卖合同纠纷，标的 80 万元。")
    signal.save()
    for change in Change.find([
                ('project', '=', project1.id),
                ('state', '=', 'proposed'),
                ]):
        change.click('approve')

    demo.log("computing today's risk snapshots with the classes")
    cron, = Cron.find([
            ('method', '=', 'reguarantee.risk.snapshot|compute_today')])
    cron.click('run_once')
