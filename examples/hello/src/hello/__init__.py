"""A greeting, packaged by pallet-core."""

__version__ = "1.0.0"


def greet(name: str = "world") -> str:
    return f"Hello, {name}!"
