"""The cost of one PIN hash as Mkopo makes it (HMAC-SHA256 with a pepper, then scrypt with
today's parameters): the median of 40 runs in this process, and what 10,000 guesses cost.

Run: ``.venv/bin/python -m bench.pin_kdf`` (the figure in ``app/security/pins.py`` and
docs/security.md comes from it).
"""

from __future__ import annotations

import os
import statistics
import time

from app.security.pins import SCRYPT_N, SCRYPT_P, SCRYPT_R, PepperKey, PinHasher

RUNS = 40
PIN_SPACE = 10_000


def hash_times_ms(runs: int = RUNS) -> list[float]:
    pins = PinHasher([PepperKey("bench", os.urandom(32))])
    pins.hash_pin("4826")  # warm up
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        pins.hash_pin("4826")
        times.append((time.perf_counter() - started) * 1000)
    return times


def main() -> None:
    times = hash_times_ms()
    median = statistics.median(times)
    print(
        f"scrypt n={SCRYPT_N} r={SCRYPT_R} p={SCRYPT_P} with HMAC-SHA256 pepper: "
        f"median {median:.2f} ms of {len(times)} runs (min {min(times):.2f}, "
        f"max {max(times):.2f}); {PIN_SPACE:,} PINs: {median * PIN_SPACE / 1000:.0f} CPU-s"
    )


if __name__ == "__main__":
    main()
