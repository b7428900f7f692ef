"""The admin API (``/admin/v1``): running the fund, with maker-checker where it matters."""
