"""The regulator's clocks: policies and their presets (policy.py, presets.py), the working
calendar they count on (calendar.py), and the clocks each complaint runs."""
