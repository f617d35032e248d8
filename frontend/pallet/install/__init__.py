"""Installing a lock into an environment: the store of archives, fetching, building, linking."""
