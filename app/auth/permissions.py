"""What each role may do: the one table every staff route and template consults."""

from __future__ import annotations

import enum

from flask_babel import lazy_gettext as _l

from ..enums import TitledEnum


class Role(TitledEnum):
    CLERK = "clerk", _l("Clerk")
    OFFICER = "officer", _l("Complaints officer")  # handles complaints at their tier
    MANAGER = "manager", _l("Manager")
    ADMINISTRATOR = "administrator", _l("Administrator")


class Permission(enum.StrEnum):
    USE_STAFF_DESK = "use_staff_desk"  # sign in, see the staff home page, change one's password
    REGISTER = "register"  # register paper, post, phone, walk-in and e-mail complaints
    PRINT_RECEIPT = "print_receipt"  # print and reprint receipts
    VIEW_JOURNAL = "view_journal"  # the registry journal and case pages
    EXPORT_JOURNAL = "export_journal"  # CSV and PDF exports of the journal
    ANNUL = "annul"  # annul a record registered by mistake
    CORRECT = "correct"  # append a correction to a record
    VIEW_AUDIT = "view_audit"  # browse the audit trail
    #: The correspondence on paper: record a reply or dispute that came by post, phone or in
    #: person; the tray of letters to post, and marking them posted.
    CORRESPONDENCE = "correspondence"
    HANDLE_COMPLAINTS = "handle_complaints"  # the queue; take, answer, transfer, escalate complaints
    REVIEW_ESCALATIONS = "review_escalations"  # the escalation desk: assign, decide, send back down
    VIEW_DASHBOARD = "view_dashboard"  # management figures, charts and reports
    MANAGE_USERS = "manage_users"
    CONFIGURE_REGISTRY = "configure_registry"  # categories, tiers, organisation, numbers, mailboxes


_CLERK = {
    Permission.USE_STAFF_DESK,
    Permission.REGISTER,
    Permission.PRINT_RECEIPT,
    Permission.VIEW_JOURNAL,
    Permission.EXPORT_JOURNAL,
    Permission.ANNUL,
    Permission.CORRECT,
    Permission.CORRESPONDENCE,
}

_OFFICER = {
    Permission.USE_STAFF_DESK,
    Permission.VIEW_JOURNAL,
    Permission.PRINT_RECEIPT,
    Permission.HANDLE_COMPLAINTS,
    Permission.CORRESPONDENCE,
}

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.CLERK: frozenset(_CLERK),
    Role.OFFICER: frozenset(_OFFICER),
    Role.MANAGER: frozenset(_CLERK | _OFFICER | {Permission.REVIEW_ESCALATIONS, Permission.VIEW_DASHBOARD}),
    Role.ADMINISTRATOR: frozenset(Permission),
}


def role_may(role: Role, permission: Permission) -> bool:
    return permission in ROLE_PERMISSIONS[role]
