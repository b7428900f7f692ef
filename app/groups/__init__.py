"""Group lending: groups, their members and officials, the group score and limit, and the
loan application with its drawn approvers and payout gate (docs/groups.md)."""
