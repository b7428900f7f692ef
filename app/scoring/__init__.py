"""Scoring: a points scorecard trained from a labelled table (docs/scoring.md).

``binning`` groups each feature's values into bins with a weight of evidence (monotonic where
declared or found), ``training`` fits a logistic regression on those weights and turns it into
integer points per bin, ``scorecard`` scores an applicant into points, a band (A1..C3) and the
reason codes an automated decision must give, and ``evaluation`` cross-validates the trainer
against a plain logistic regression. Invariant: a stored scorecard (its plain dict) scores
exactly as the one it was made from.
"""
