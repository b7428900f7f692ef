"""Joining and leaving the fund: vetting an applicant, opting in and out."""
