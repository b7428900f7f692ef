"""Fund staff: administrators, credit officers, auditors, support; their roles and API tokens."""
