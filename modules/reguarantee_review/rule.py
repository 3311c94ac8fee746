# This file is part of the re-guarantee business system.  The COPYRIGHT file
# at the top level of this repository contains the full copyright notices and
# license terms.
from collections import namedtuple
from decimal import ROUND_HALF_UP, Decimal

from trytond.model import DeactivableMixin, ModelSQL, ModelView, fields

#: The digits of the shares of a rule: the shares of the votes are rounded
#: to them before they are compared, so that 2 of 3 reaches 0.6667
SHARE_DIGITS = (5, 4)
TWO_THIRDS = Decimal('0.6667')

#: A vote as the rule counts it: vote is 'approve', 'reject', 'defer' or
#: None when recused; chair is whether the chair cast it
Ballot = namedtuple('Ballot', ['vote', 'recused', 'chair'])
Tally = namedtuple('Tally', [
        'voting', 'present', 'cast', 'approve', 'reject', 'defer',
        'recused', 'quorum', 'approval', 'vetoed', 'decision'])


def share(part, whole):
    "Return part / whole rounded to the digits of the rule's shares"
    if not whole:
        return Decimal(0)
    return (Decimal(part) / Decimal(whole)).quantize(
        Decimal(1).scaleb(-SHARE_DIGITS[1]), rounding=ROUND_HALF_UP)


def decide(voting, ballots, quorum=TWO_THIRDS, threshold=TWO_THIRDS,
        chair_veto=True):
    """Return the Tally of the ballots of the voting members of an item

    voting is the number of voting members of the meeting, ballots their
    votes (the votes of non-voting members are not given).
    - quorum: the share of the voting members who voted or recused must
      reach it, else the item is deferred;
    - threshold: the share of approve among the votes cast (approve,
      reject, defer; the recusals are abstentions and not counted) must
      reach it for the item to be approved;
    - chair_veto: a reject of the chair refuses the approval;
    an item not approved is deferred when it has more defer than reject
    votes, else rejected."""
    present = len(ballots)
    cast = [b for b in ballots if not b.recused]
    counts = {
        v: sum(1 for b in cast if b.vote == v)
        for v in ['approve', 'reject', 'defer']}
    recused = present - len(cast)
    has_quorum = bool(voting) and share(present, voting) >= quorum
    approval = share(counts['approve'], len(cast))
    vetoed = chair_veto and any(
        b.chair and b.vote == 'reject' for b in cast)
    if not has_quorum or not cast:
        decision = 'deferred'
    elif approval >= threshold and not vetoed:
        decision = 'approved'
    elif counts['defer'] > counts['reject']:
        decision = 'deferred'
    else:
        decision = 'rejected'
    return Tally(
        voting, present, len(cast), counts['approve'], counts['reject'],
        counts['defer'], recused, has_quorum, approval, vetoed, decision)


class Rule(DeactivableMixin, ModelSQL, ModelView):
    __name__ = 'reguarantee.review.rule'

    name = fields.Char("Name", required=True, translate=True)
    quorum = fields.Numeric(
        "Quorum", digits=SHARE_DIGITS, required=True,
        domain=[('quorum', '>', 0), ('quorum', '<=', 1)],
        help="The share of the voting members who must vote or recuse "
        "on an item for it to be decided; else it is deferred.\n"
        "0.6667 is two thirds (the shares are rounded to 4 digits).")
    threshold = fields.Numeric(
        "Approval Threshold", digits=SHARE_DIGITS, required=True,
        domain=[('threshold', '>', 0), ('threshold', '<=', 1)],
        help="The share of approve among the votes cast (approve, reject "
        "and defer; recusals excluded) an item needs to be approved, "
        "at least.")
    chair_veto = fields.Boolean(
        "Chair's Veto",
        help="A reject of the chair refuses the approval of an item.")

    @classmethod
    def default_quorum(cls):
        return TWO_THIRDS

    @classmethod
    def default_threshold(cls):
        return TWO_THIRDS

    @classmethod
    def default_chair_veto(cls):
        return True

    def decide(self, voting, ballots):
        "Return the Tally of the ballots under the rule"
        return decide(
            voting, ballots, quorum=self.quorum, threshold=self.threshold,
            chair_veto=self.chair_veto)
