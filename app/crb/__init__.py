"""Credit bureau reporting: the daily and monthly files, their submissions and
acknowledgements, and negative listing by the rules (docs/crb.md)."""
