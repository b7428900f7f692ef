"""The USSD channel (Africa's Talking): the borrower journey on a basic phone."""
