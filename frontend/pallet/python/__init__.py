"""Interpreters and the project's virtual environment (pallet sync and run)."""
