"""What did not reconcile: exceptions opened from a run, investigated and resolved."""
