"""Messages to borrowers: an outbox written in the use case's transaction, sent after commit."""
