"""The three Daraja client libraries from PyPI, installed for the contract suite, and the runner
of their drivers.

The libraries (and the three small dependencies the project does not already pin) are
installed with ``pip install --no-deps --target`` into a directory of their own under
``.venv/contract-clients/``, named by a hash of the pins, once: later runs reuse it. A driver
runs in a subprocess of the project's interpreter with that directory first on its path, so a
library never enters the test process; its other dependencies (httpx, pydantic, requests,
cryptography, opentelemetry-api) come from the project's lock, inside each library's declared
ranges. pip reads the machine's configuration (PyPI or its mirror), as ``make venv`` does.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

LIBRARY_PINS = ("mpesakit==2.2.0", "daraja-sdk-py==2.0.0", "mpesa-sdk==2.0.0")
EXTRA_PINS = ("tenacity==9.2.1", "email-validator==2.4.0", "dnspython==2.9.2")
"""Dependencies of mpesakit that the project's lock does not hold."""
INSTALL_TIMEOUT_S = 300
DRIVER_TIMEOUT_S = 120
DRIVERS = Path(__file__).parent / "drivers"
CACHE_ROOT = Path(sys.prefix) / "contract-clients"


def installed_clients() -> Path:
    """The directory holding the pinned libraries; installed on first use."""
    pins = LIBRARY_PINS + EXTRA_PINS
    target = CACHE_ROOT / hashlib.sha256("\n".join(pins).encode()).hexdigest()[:16]
    if (target / ".complete").exists():
        return target
    CACHE_ROOT.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix="installing-", dir=CACHE_ROOT))
    try:
        pip = [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
        subprocess.run(  # noqa: S603 (our interpreter, our pins)
            [*pip, "--no-deps", "--target", str(staging), *pins],
            check=True,
            timeout=INSTALL_TIMEOUT_S,
        )
        (staging / ".complete").touch()
        try:
            staging.rename(target)  # atomic: a concurrent run that won keeps its copy
        except OSError:
            if not (target / ".complete").exists():
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


def run_driver(name: str, libraries: Path, config: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Run ``drivers/{name}_driver.py`` with ``config``; its records, step by step."""
    env = {**os.environ, "PYTHONPATH": str(libraries), "PYTHONWARNINGS": "ignore"}
    done = subprocess.run(  # noqa: S603 (our interpreter, our driver)
        [sys.executable, str(DRIVERS / f"{name}_driver.py"), json.dumps(config)],
        capture_output=True,
        text=True,
        env=env,
        timeout=DRIVER_TIMEOUT_S,
        check=False,
    )
    if done.returncode != 0:
        raise AssertionError(f"{name} driver failed ({done.returncode}):\n{done.stderr[-4000:]}")
    records: dict[str, dict[str, Any]] = json.loads(done.stdout)
    return records
