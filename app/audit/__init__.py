"""The append-only, hash-chained audit log of staff actions and decisions."""
