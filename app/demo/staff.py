"""Demo staff for the console (``mkopo seed-demo``): an admin and a credit officer, each with
a known password and a TOTP secret, so ``make run`` can print how to sign in. Idempotent: a
user is made and enrolled once; later runs only read the secret back to print it."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from app.runtime import Runtime
from app.staff.credentials import enroll_totp, set_password
from app.staff.models import Role, StaffUser
from app.staff.service import create_staff_user

DEMO_STAFF = (("demo-admin", Role.ADMIN), ("demo-officer", Role.CREDIT_OFFICER))
DEMO_STAFF_PASSWORD = "mkopo-demo-console"  # noqa: S105 - printed by make run on purpose


@dataclass(frozen=True, slots=True)
class DemoStaff:
    username: str
    role: str
    password: str
    totp_secret: str


def ensure_demo_staff(rt: Runtime) -> list[DemoStaff]:
    cipher = rt.field_crypto().cipher
    made = []
    with rt.sessions.unit_of_work() as session:
        for username, role in DEMO_STAFF:
            user = session.scalar(select(StaffUser).where(StaffUser.username == username))
            if user is None:
                user, _token = create_staff_user(session, username, role, rt.clock())
            if user.password_hash is None:
                set_password(session, username, DEMO_STAFF_PASSWORD)
            if user.totp_secret_enc is None:
                secret = enroll_totp(session, cipher, username)
            else:
                secret = cipher.decrypt(user.totp_secret_enc)
            made.append(DemoStaff(username, user.role, DEMO_STAFF_PASSWORD, secret))
    return made
