"""Running the fund's background work: the periodic schedule, each task's heartbeat, and
the liveness that readiness, metrics and the admin operations view report."""
