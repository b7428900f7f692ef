"""Imports every model module so ``Base.metadata`` knows all tables (Alembic, tests)."""

from app.approvals import models as backoffice_models  # noqa: F401
from app.audit import models as audit_models  # noqa: F401
from app.borrowers import models as borrower_models  # noqa: F401
from app.console import models as console_models  # noqa: F401
from app.crb import models as crb_models  # noqa: F401
from app.groups import loan_models as group_loan_models  # noqa: F401
from app.groups import models as group_models  # noqa: F401
from app.lending import models as lending_models  # noqa: F401
from app.mobile import models as mobile_models  # noqa: F401
from app.mpesa import models as mpesa_models  # noqa: F401
from app.notifications import models as notification_models  # noqa: F401
from app.payments import models as payment_models  # noqa: F401
from app.products import models as product_models  # noqa: F401
from app.reconciliation import models as reconciliation_models  # noqa: F401
from app.scoring import models as scoring_models  # noqa: F401
from app.sme import models as sme_models  # noqa: F401
from app.staff import models as staff_models  # noqa: F401
from app.tasks import models as operations_models  # noqa: F401
from app.ussd import models as ussd_models  # noqa: F401
from ledger import schema as ledger_schema  # noqa: F401
from ledger.schema import LedgerBase

metadata = LedgerBase.metadata
