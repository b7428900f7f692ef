"""HTTP plumbing shared by every router: problem+json errors, health, dependencies."""
