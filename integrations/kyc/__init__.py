"""The mobile network's KYC facts about a SIM (M-Pesa registration): a port and a simulator."""

from integrations.kyc.provider import ProviderKyc, SimInfo
from integrations.kyc.simulator import SimulatedProviderKyc

__all__ = ["ProviderKyc", "SimInfo", "SimulatedProviderKyc"]
