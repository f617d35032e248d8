"""Installing a lock into an environment (issue 11): the wheel store, unpacking, linking.

Modules, one purpose each: `wheelfile` (a wheel validated and unpacked once into the store),
`scheme` (where an environment's files go), `link` (one unpacked wheel linked into a scheme, and
uninstalled again), `installed` (what an environment holds). The package itself imports nothing,
so that the fast paths that import one of its modules pay only for that one.
"""
