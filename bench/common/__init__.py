"""What every benchmark shares: scratch databases, measurement (one CPU meter), the machine's
description, seeding, the HTTP load generator, the API as a subprocess, and the writer of
bench/results/*.json and docs/performance.md.

Benchmarks report ratios against a baseline measured in the same run; nothing here is a
pass/fail test.
"""
