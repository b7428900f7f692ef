"""The Airtel rig: the Airtel simulator (callback hashes on) and ``AirtelClient``. Results come
by callback or by a synchronous enquiry."""

from __future__ import annotations

from typing import Any

from integrations.airtel.callbacks import parse_callback
from integrations.airtel.client import AirtelClient
from integrations.airtel.config import CALLBACK_KINDS, AirtelConfig
from integrations.airtel.simulator.app import create_simulator
from integrations.airtel.simulator.state import AirtelSimState
from integrations.mpesa.simulator.checks import httpx_deliverer
from integrations.payments.port import (
    CollectionResult,
    PayoutResult,
    ReversalOrder,
    ReversalOutcome,
)
from tests.contract.rigs import BaseRig, Receiver, serve, waited

CLIENT_ID, CLIENT_SECRET, PIN = "contract-client", "contract-secret", "4321"
CALLBACK_SECRET = "contract-callback-secret"
TOKEN = "tok"


class AirtelRig(BaseRig):
    name = "airtel"

    def __init__(self) -> None:
        receiver = Receiver()
        receiving = serve(receiver.app)
        base = f"{receiving.url}/callbacks/airtel/{TOKEN}"
        self.state = AirtelSimState(
            client_id=CLIENT_ID,
            client_secret=CLIENT_SECRET,
            pin=PIN,
            callback_urls={kind: f"{base}/{kind}" for kind in CALLBACK_KINDS},
            callback_secret=CALLBACK_SECRET,
        )
        self.state.default_delay_s = 0.5
        simulating = serve(create_simulator(self.state, httpx_deliverer()))
        super().__init__(
            simulating.url,
            receiver,
            [receiving, simulating],
            payout_family="disbursement",
            payout_kind="disbursement",
            number_prefix="25473",
            state=self.state,
            token_lifetime_s=180,
        )
        self.client = self.fresh_client()

    def fresh_client(self, **options: Any) -> AirtelClient:
        config = AirtelConfig(
            base_url=self.sim_url,
            client_id=CLIENT_ID,
            client_secret=CLIENT_SECRET,
            pin=PIN,
            public_key=self.state.keys.public_key_text(),
            callback_token=TOKEN,
            callback_secret=CALLBACK_SECRET,
        )
        return AirtelClient(config, **self.client_options(options))

    def _callbacks(self, kind: str) -> list[Any]:
        return [
            parse_callback(body, secret=CALLBACK_SECRET)
            for body in self.receiver.bodies(f"/{kind}")
        ]

    def payout_by_callback(self, originator_id: str) -> PayoutResult:
        def found() -> PayoutResult | None:
            for callback in self._callbacks("disbursement"):
                if callback.transaction_id == originator_id:
                    result: PayoutResult | None = callback.to_payout_result()
                    return result
            return None

        result: PayoutResult = waited(found, f"disbursement callback of {originator_id}")
        return result

    def payout_by_query(self, originator_id: str) -> PayoutResult:
        result: PayoutResult = waited(
            lambda: self.client.query_payout(originator_id), f"enquiry of {originator_id}"
        )
        return result

    def collection_by_callback(self, checkout_id: str) -> CollectionResult:
        def found() -> CollectionResult | None:
            for callback in self._callbacks("collection"):
                if callback.transaction_id == checkout_id:
                    result: CollectionResult | None = callback.to_collection_result()
                    return result
            return None

        result: CollectionResult = waited(found, f"collection callback of {checkout_id}")
        return result

    def reversal_outcome(self, order: ReversalOrder, nth: int) -> ReversalOutcome:
        """The refund's outcome, from the enquiry of the payment (the same every time)."""
        outcome: ReversalOutcome = waited(
            lambda: self.client.query_reversal(order), f"refund outcome {nth}"
        )
        return outcome

    def parse_every_callback(self) -> int:
        calls = self.receiver.all()
        for path, body in calls:
            assert path.rsplit("/", 1)[-1] in CALLBACK_KINDS, path
            parse_callback(body, secret=CALLBACK_SECRET)
        return len(calls)
