"""The drawing and template library of every document the registry prints."""
