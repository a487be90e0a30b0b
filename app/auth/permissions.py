"""What each role may do: the one table every staff route and template consults."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from ..enums import TitledEnum


class Role(TitledEnum):
    CLERK = "clerk", _l("Clerk")
    OFFICER = "officer", _l("Complaints officer")  # handles complaints at their tier
    MANAGER = "manager", _l("Manager")
    ADMINISTRATOR = "administrator", _l("Administrator")


class Permission(TitledEnum):
    """What a role may do; the title names it for people (in the audit trail's refusals)."""

    #: Sign in, see the staff home page, change one's password.
    USE_STAFF_DESK = "use_staff_desk", _l("Use the staff desk")
    #: Register paper, post, phone, walk-in and e-mail complaints.
    REGISTER = "register", _l("Register complaints")
    PRINT_RECEIPT = "print_receipt", _l("Print receipts")  # print and reprint receipts
    VIEW_JOURNAL = "view_journal", _l("See the registry journal")  # the registry journal and case pages
    EXPORT_JOURNAL = "export_journal", _l("Export the registry journal")  # CSV and PDF exports
    ANNUL = "annul", _l("Annul records")  # annul a record registered by mistake
    CORRECT = "correct", _l("Correct records")  # append a correction to a record
    VIEW_AUDIT = "view_audit", _l("See the audit trail")  # browse the audit trail
    #: The correspondence on paper: record a reply or dispute that came by post, phone or in
    #: person; the tray of letters to post, and marking them posted.
    CORRESPONDENCE = "correspondence", _l("Keep the correspondence on paper")
    #: The queue; take, answer, transfer, escalate complaints.
    HANDLE_COMPLAINTS = "handle_complaints", _l("Handle complaints")
    #: The escalation desk: assign, decide, send back down.
    REVIEW_ESCALATIONS = "review_escalations", _l("Review escalations")
    VIEW_DASHBOARD = "view_dashboard", _l("See the dashboard and reports")  # management figures and reports
    MANAGE_USERS = "manage_users", _l("Manage staff accounts")
    #: The answer templates officers start their letters from (app/answers).
    MANAGE_TEMPLATES = "manage_templates", _l("Keep the answer templates")
    #: Categories, tiers, organisation, numbers, mailboxes.
    CONFIGURE_REGISTRY = "configure_registry", _l("Configure the registry")
    #: Join a repeated complaint to the earlier one from the same complainant; link related ones.
    JOIN_COMPLAINTS = "join_complaints", _l("Join and link complaints")


_CLERK = {
    Permission.USE_STAFF_DESK,
    Permission.REGISTER,
    Permission.PRINT_RECEIPT,
    Permission.VIEW_JOURNAL,
    Permission.EXPORT_JOURNAL,
    Permission.ANNUL,
    Permission.CORRECT,
    Permission.CORRESPONDENCE,
    Permission.JOIN_COMPLAINTS,
}

_OFFICER = {
    Permission.USE_STAFF_DESK,
    Permission.VIEW_JOURNAL,
    Permission.PRINT_RECEIPT,
    Permission.HANDLE_COMPLAINTS,
    Permission.CORRESPONDENCE,
    Permission.JOIN_COMPLAINTS,
}

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.CLERK: frozenset(_CLERK),
    Role.OFFICER: frozenset(_OFFICER),
    Role.MANAGER: frozenset(_CLERK | _OFFICER | {Permission.REVIEW_ESCALATIONS, Permission.VIEW_DASHBOARD,
                                                      Permission.MANAGE_TEMPLATES}),
    Role.ADMINISTRATOR: frozenset(Permission),
}


def role_may(role: Role, permission: Permission) -> bool:
    return permission in ROLE_PERMISSIONS[role]
