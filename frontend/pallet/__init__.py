"""pallet: the Python project tool (lock, sync, build, publish)."""

__version__ = "0.1.0"
