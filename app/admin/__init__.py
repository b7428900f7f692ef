"""The staff channel (``/admin/v1``): gathers every domain's staff routes under one prefix,
with the views that span domains (a borrower, the loan book, the approvals queue, operations)."""
