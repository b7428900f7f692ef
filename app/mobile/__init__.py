"""The mobile app API (``/api/v1``): registration, login, loans, repayments, savings."""
