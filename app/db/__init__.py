"""Database wiring: engines, sessions and the app's declarative base."""
