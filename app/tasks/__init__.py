"""Background work as a platform: the broker, handing tasks to the worker after commit, the
periodic schedule, each task's heartbeat and the liveness that readiness and metrics report."""
