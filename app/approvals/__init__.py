"""Four eyes: one lifecycle for every change that needs a maker and a different checker."""
