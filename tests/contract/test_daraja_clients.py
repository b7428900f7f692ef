"""The simulator held against real Daraja clients: mpesakit 2.2.0, daraja-sdk-py 2.0.0 and
mpesa-sdk 2.0.0 from PyPI (installed once into ``.venv/contract-clients/``, see ``clients``) and
Mkopo's own ``DarajaClient``, each driving the same scenario against a live simulator over
HTTP. Every step must meet Daraja's documented behaviour (``CONTRACT``), as the client sees it
and as the simulator's callbacks show it.

A library may refuse a call itself before sending it (amounts outside Daraja's range): that is
allowed only where ``may_refuse_locally`` says so, and then nothing may reach the simulator.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from integrations.mpesa.simulator.app import create_simulator
from integrations.mpesa.simulator.keys import SimulatorKeys, generate_keys
from integrations.mpesa.simulator.outcomes import Outcome
from integrations.mpesa.simulator.state import App, Organisation, SimulatorState
from tests.contract.clients import installed_clients, run_driver
from tests.contract.own_client import TOKEN, run_scenario
from tests.support.live import ServerThread, free_port
from tests.unit.test_mpesa_simulator_harness import Recorder

SHORTCODE, PASSKEY = "600000", "contract-passkey"
KEY, SECRET = "contract-key", "contract-secret"
INITIATOR, PASSWORD = "contract-api", "Contract#2026"
PHONES = {
    "paid": "254712340000",
    "pending": "254712340011",
    "over_max": "254712340022",
    "repeat": "254712340033",
    "payee": "254712340044",
    "c2b_payer": "254712340055",
}
UNABLE_TO_LOCK = (
    "Unable to lock subscriber, a transaction is already in process for the current subscriber"
)
ORIGINATORS = {
    "b2c": "contract-b2c",
    "b2c_below_min": "contract-below",
    "b2c_over_max": "contract-over",
    "b2c_library_credential": "contract-library-credential",
}
"""The OriginatorConversationID every client gives each payout step (see the drivers)."""
V1_ID = re.compile(r"\d{4,5}-\d{6,8}-\d")
V2_ID = re.compile(r"[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\d{7}")


@dataclass(frozen=True)
class Expect:
    """What Daraja does with a step: accept it (and maybe call back with ``result``), or
    refuse it at once with ``status``/``code``/``message``."""

    accepted: bool = True
    result: int | None = None
    status: int | None = None
    code: str | None = None
    message: str | None = None
    may_refuse_locally: bool = False


CONTRACT: dict[str, Expect] = {
    "oauth_refused": Expect(False, None, 400, "400.008.01", "Invalid authentication type passed"),
    "stk_push": Expect(result=0),
    "stk_query": Expect(),
    "stk_locked_first": Expect(),
    "stk_locked": Expect(False, None, 500, "500.001.1001", UNABLE_TO_LOCK),
    "stk_over_max": Expect(result=3, may_refuse_locally=True),
    "stk_repeat_first": Expect(result=0),
    "stk_repeat": Expect(result=17),
    "c2b_register_refused": Expect(
        False, None, 400, "400.002.02", "Bad Request - Invalid ConfirmationURL"
    ),
    "c2b_register": Expect(),
    "c2b_simulate": Expect(),
    "b2c_library_credential": Expect(result=2001),
    "b2c": Expect(result=0),
    "b2c_below_min": Expect(result=2, may_refuse_locally=True),
    "b2c_over_max": Expect(result=3, may_refuse_locally=True),
    "status": Expect(result=0),
    "balance": Expect(result=0),
}


@dataclass(frozen=True)
class Client:
    name: str
    c2b_version: str
    steps: frozenset[str]
    """The steps this client can take (a library without a C2B simulate skips it)."""


EVERY_STEP = frozenset(CONTRACT)
CLIENTS = [
    Client("mpesakit", "v1", EVERY_STEP - {"c2b_simulate"}),
    Client("daraja_sdk", "v2", EVERY_STEP),
    Client("mpesa_sdk", "v1", EVERY_STEP - {"b2c_library_credential"}),
    Client("mkopo", "v2", EVERY_STEP - {"c2b_simulate", "b2c_library_credential"}),
]


@dataclass
class LiveSimulator:
    state: SimulatorState
    recorder: Recorder
    url: str
    cert_path: Path


@pytest.fixture(scope="module")
def keys() -> SimulatorKeys:
    return generate_keys()


@pytest.fixture
def simulator(keys: SimulatorKeys, tmp_path: Path) -> Iterator[LiveSimulator]:
    org = Organisation(SHORTCODE, PASSKEY, INITIATOR, PASSWORD)
    state = SimulatorState(org, [App(KEY, SECRET)], keys=keys, allow_local_callbacks=False)
    state.set_outcome(Outcome.PENDING, PHONES["pending"])
    recorder = Recorder()
    cert_path = tmp_path / "sim-cert.pem"
    cert_path.write_bytes(keys.cert_pem)
    server = ServerThread(create_simulator(state, recorder), free_port())
    server.start()
    try:
        yield LiveSimulator(state, recorder, server.url, cert_path)
    finally:
        server.stop()


def scenario_config(sim: LiveSimulator, hooks: str) -> dict[str, Any]:
    return {
        "base_url": sim.url,
        "key": KEY,
        "secret": SECRET,
        "shortcode": SHORTCODE,
        "passkey": PASSKEY,
        "initiator": INITIATOR,
        "password": PASSWORD,
        "cert_path": str(sim.cert_path),
        "callbacks": hooks,
        "keyword_callbacks": "https://fund.example/callbacks/mpesa/contract",
        "phones": PHONES,
    }


def run_client(client: Client, sim: LiveSimulator) -> tuple[dict[str, dict[str, Any]], str]:
    """The client's records and the base of its callback URLs."""
    if client.name == "mkopo":
        prefix = "/hooks/own"
        config = scenario_config(sim, f"https://fund.example{prefix}/{TOKEN}")
        config["cert_pem"] = sim.cert_path.read_bytes()
        return run_scenario(config, prefix), config["callbacks"]
    # Not the library's name: "mpesakit" would break Safaricom's URL rules.
    config = scenario_config(sim, f"https://fund.example/hooks/client-{CLIENTS.index(client)}")
    return run_driver(client.name, installed_clients(), config), config["callbacks"]


def callback_result(sim: LiveSimulator, hooks: str, step: str, record: dict[str, Any]) -> Any:
    """The ResultCode of the callback that answers ``step`` (None: none came)."""
    if step.startswith("stk"):
        checkout = (record.get("body") or {}).get("CheckoutRequestID")
        for body in sim.recorder.to_url(f"{hooks}/stk"):
            callback = body["Body"]["stkCallback"]
            if callback["CheckoutRequestID"] == checkout:
                return callback["ResultCode"]
        return None
    if step.startswith("b2c"):
        for body in sim.recorder.to_url(f"{hooks}/b2c/result"):
            if body["Result"]["OriginatorConversationID"] == ORIGINATORS[step]:
                return body["Result"]["ResultCode"]
        return None
    bodies = sim.recorder.to_url(f"{hooks}/{step}/result")
    return int(bodies[0]["Result"]["ResultCode"]) if bodies else None


def reached_simulator(sim: LiveSimulator, step: str) -> bool:
    if step.startswith("b2c"):
        return sim.state.find("b2c", ORIGINATORS[step]) is not None
    phone = PHONES["over_max"]
    return any(tx.msisdn == phone for (kind, _), tx in sim.state.transactions.items())


def breaches(client: Client, sim: LiveSimulator) -> list[str]:
    """Every way the client's run departs from the contract."""
    records, hooks = run_client(client, sim)
    found = [f"steps taken {sorted(records)}"] if set(records) != client.steps else []
    callbacks = sum(
        1 for step, got in records.items() if got["sent"] and CONTRACT[step].result is not None
    ) + (2 if "c2b_simulate" in records else 0)
    if not sim.recorder.arrived(callbacks):
        found.append(f"{len(sim.recorder.calls)} callbacks came, {callbacks} expected")
    for step in sorted(client.steps & set(records)):
        want, got = CONTRACT[step], records[step]
        if not got["sent"]:
            if not want.may_refuse_locally:
                found.append(f"{step}: refused by the client itself: {got['message']}")
            elif reached_simulator(sim, step):
                found.append(f"{step}: refused by the client, yet it reached the simulator")
            continue
        accepted = got.get("status") in (200, None) and got.get("code") in ("0", None)
        if want.accepted and not (accepted and got.get("body") is not None):
            found.append(f"{step}: not accepted: {got}")
        if not want.accepted:
            seen = {k: got.get(k) for k in ("status", "code", "message")}
            expected = {"status": want.status, "code": want.code, "message": want.message}
            if not any(seen.values()):
                found.append(f"{step}: no refusal surfaced: {got}")
            found += [
                f"{step}: {k} {seen[k]!r}, Daraja says {expected[k]!r}"
                for k in seen
                if seen[k] is not None and seen[k] != expected[k]
            ]
        if want.result is not None:
            result = callback_result(sim, hooks, step, got)
            if result is None or int(result) != want.result:
                found.append(f"{step}: callback result {result!r}, Daraja says {want.result}")
    return found + c2b_breaches(client, sim, records, hooks)


def c2b_breaches(
    client: Client, sim: LiveSimulator, records: dict[str, dict[str, Any]], hooks: str
) -> list[str]:
    """The registration's version, its answer's id format and the payer's form in notices."""
    found = []
    registered = sim.state.c2b_urls.get(SHORTCODE)
    if registered is None or registered.version != client.c2b_version:
        found.append(f"C2B registered through {registered}, expected {client.c2b_version}")
    ack = records["c2b_register"].get("body") or {}
    # Some libraries rename Safaricom's "OriginatorCoversationID"; mpesa-sdk keeps it.
    ack_id = ack.get("OriginatorConversationID") or ack.get("OriginatorCoversationID")
    pattern = V1_ID if client.c2b_version == "v1" else V2_ID
    if client.name != "mkopo" and not pattern.fullmatch(str(ack_id)):
        found.append(f"C2B registration id {ack_id!r} is not in the {client.c2b_version} format")
    if "c2b_simulate" in client.steps:
        payer = PHONES["c2b_payer"]
        shown = {
            "v1": hashlib.sha256(payer.encode()).hexdigest(),
            "v2": f"{payer[:4]} ***** {payer[-3:]}",
        }[client.c2b_version]
        notices = sim.recorder.to_url(f"{hooks}/c2b/confirmation")
        if [n["MSISDN"] for n in notices] != [shown]:
            found.append(f"C2B confirmation shows the payer as {notices}, expected {shown}")
    return found


@pytest.mark.slow
@pytest.mark.parametrize("client", CLIENTS, ids=[c.name for c in CLIENTS])
def test_the_client_meets_daraja_s_contract_against_the_simulator(
    client: Client, simulator: LiveSimulator
) -> None:
    assert breaches(client, simulator) == []
