"""Hardware detection for variant extras (issue 12): what the machine has, which variant fits.

A leaf layer: it imports only the standard library, `pallet.errors` and `pallet.envvars`, so the
cached path of `pallet run` and `pallet sync` stays cheap. Every read goes through a root folder,
``PATH`` and an environment mapping passed in, so tests simulate any machine
(``fixtures/sysroots/<machine>/``).
"""
