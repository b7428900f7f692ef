"""M-Pesa in the product: the callback inbox and (next) the flows that act on callbacks."""
