"""Case handling after registration: deadlines now; statuses, tiers and ownership to come."""
