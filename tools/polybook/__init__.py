"""polybook: write a deep-learning book once, publish it in every framework and language."""

__version__ = "0.1.0"
