"""The universal resolver: `universal.resolve_lock` (see docs/resolver.md)."""
