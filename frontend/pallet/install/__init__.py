"""Installing a lock into an environment: plan, fetch, cache, link (docs/sync.md)."""
