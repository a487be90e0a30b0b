"""Case handling after registration: the state machine, tiers, ownership, deadlines and their enforcement."""
