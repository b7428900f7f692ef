"""Money leaving the fund (payouts: loan disbursements, savings withdrawals, refunds) and
the provider-neutral port the M-Pesa adapter plugs into."""
