"""The borrower's rights over their data (Data Protection Act 2019): access, retention."""
