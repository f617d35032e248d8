"""pallet-core: a standards-compliant PEP 517/660 build backend."""

__version__ = "0.1.0"
