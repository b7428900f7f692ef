"""The providers' channel: callback endpoints that store what a provider reports, first."""
