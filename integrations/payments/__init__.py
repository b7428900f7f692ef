"""The provider-neutral payment port: what the fund asks of any mobile-money provider."""
