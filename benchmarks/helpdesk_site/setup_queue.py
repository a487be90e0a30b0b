"""Create the public queue the ticket form files into (run after `django migrate`)."""

import django

django.setup()

from helpdesk.models import Queue  # noqa: E402

Queue.objects.get_or_create(
    slug="complaints", defaults={"title": "Complaints", "allow_public_submission": True}
)
