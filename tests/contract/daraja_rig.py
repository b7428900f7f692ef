"""The Daraja rig: the Daraja simulator and ``DarajaClient``. Every result arrives by callback,
the answer to a status query too."""

from __future__ import annotations

from typing import Any

from integrations.mpesa.callbacks import parse_stk_callback, parse_timeout
from integrations.mpesa.client import DarajaClient, DarajaConfig
from integrations.mpesa.results import b2c_result, parse_result, reversal_result, status_result
from integrations.mpesa.simulator.app import create_simulator
from integrations.mpesa.simulator.checks import httpx_deliverer
from integrations.mpesa.simulator.state import App, Organisation, SimulatorState
from integrations.payments.port import (
    CollectionResult,
    PayoutResult,
    ReversalOrder,
    ReversalOutcome,
)
from tests.contract.rigs import BaseRig, Receiver, serve, waited

SHORTCODE, PASSKEY = "600992", "contract-passkey"
INITIATOR, PASSWORD = "contractapi", "Contract-Pw-1!"
KEY, SECRET = "contract-key", "contract-secret"
_RESULTS = ("b2c/result", "status/result", "balance/result", "reversal/result")
_TIMEOUTS = ("b2c/timeout", "status/timeout", "balance/timeout", "reversal/timeout")


class DarajaRig(BaseRig):
    name = "daraja"

    def __init__(self) -> None:
        receiver = Receiver()
        receiving = serve(receiver.app)
        self.state = SimulatorState(
            org=Organisation(SHORTCODE, PASSKEY, INITIATOR, PASSWORD), apps=[App(KEY, SECRET)]
        )
        self.state.default_delay_s = 0.5
        simulating = serve(create_simulator(self.state, httpx_deliverer()))
        super().__init__(
            simulating.url,
            receiver,
            [receiving, simulating],
            payout_family="b2c",
            payout_kind="b2c",
            number_prefix="2547",
            state=self.state,
            token_lifetime_s=3599,
        )
        self.receiver_url = receiving.url
        self.client = self.fresh_client()

    def fresh_client(self, **options: Any) -> DarajaClient:
        config = DarajaConfig(
            base_url=self.sim_url,
            consumer_key=KEY,
            consumer_secret=SECRET,
            shortcode=SHORTCODE,
            passkey=PASSKEY,
            initiator_name=INITIATOR,
            initiator_password=PASSWORD,
            cert_bytes=self.state.keys.cert_pem,
            callback_base_url=self.receiver_url,
            callback_token="tok",
        )
        return DarajaClient(config, **self.client_options(options))

    def payout_by_callback(self, originator_id: str) -> PayoutResult:
        def found() -> PayoutResult | None:
            for body in self.receiver.bodies("b2c/result"):
                result = b2c_result(parse_result(body))
                if result.originator_id == originator_id:
                    return result.to_payout_result()
            return None

        result: PayoutResult = waited(found, f"b2c result of {originator_id}")
        return result

    def payout_by_query(self, originator_id: str) -> PayoutResult:
        """A Transaction Status query; its answer comes to ``status/result``."""
        assert self.client.query_payout(originator_id) is None  # the answer is a callback

        def found() -> PayoutResult | None:
            for body in self.receiver.bodies("status/result"):
                status = status_result(parse_result(body))
                if status.originator_id == originator_id and status.status is not None:
                    succeeded = status.status == "Completed"
                    receipt = status.receipt if succeeded else None
                    return PayoutResult(
                        originator_id, succeeded, receipt, status.result_code, status.result_desc
                    )
            return None

        result: PayoutResult = waited(found, f"status result of {originator_id}")
        return result

    def collection_by_callback(self, checkout_id: str) -> CollectionResult:
        def found() -> CollectionResult | None:
            for body in self.receiver.bodies("/stk"):
                result = parse_stk_callback(body)
                if result.checkout_id == checkout_id:
                    return result.to_collection_result()
            return None

        result: CollectionResult = waited(found, f"STK callback of {checkout_id}")
        return result

    def reversal_outcome(self, order: ReversalOrder, nth: int) -> ReversalOutcome:
        """The ``nth`` reversal result for ``order``'s payment (Daraja answers each request)."""

        def found() -> ReversalOutcome | None:
            outcomes = [
                reversal_result(parse_result(body)).to_outcome()
                for body in self.receiver.bodies("reversal/result")
            ]
            mine = [o for o in outcomes if o.receipt in (order.receipt, None)]
            return mine[nth - 1] if len(mine) >= nth else None

        outcome: ReversalOutcome = waited(found, f"reversal result {nth}")
        return outcome

    def parse_every_callback(self) -> int:
        calls = self.receiver.all()
        for path, body in calls:
            if path.endswith("/stk"):
                parse_stk_callback(body)
            elif path.endswith(_RESULTS):
                parse_result(body)
            elif path.endswith(_TIMEOUTS):
                parse_timeout(body)
            else:
                raise AssertionError(f"a callback to an unknown path: {path}")
        return len(calls)
