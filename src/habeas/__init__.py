"""habeas: a custody ledger that proves who holds a person, where, since when and under what authority."""

__version__ = "0.1.0"
