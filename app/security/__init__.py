"""Protecting borrowers' secrets: field encryption at rest, blind indexes, PIN hashing."""
