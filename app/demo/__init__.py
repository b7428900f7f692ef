"""Demo data for the embedded setup: ``mkopo seed-demo`` and the demo scorecard."""
