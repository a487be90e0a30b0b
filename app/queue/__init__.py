"""The staff queue: every open complaint, soonest deadline first, with a live countdown to it."""
