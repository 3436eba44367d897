"""Synthetic demonstration data and scenarios (labelled synthetic: no real person appears)."""
