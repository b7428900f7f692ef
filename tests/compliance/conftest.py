"""The USSD door's fixtures (``client``, ``queue``) are the e2e ones."""

from tests.e2e.conftest import client, queue

__all__ = ["client", "queue"]
