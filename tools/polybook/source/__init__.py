"""Reading the book: its configuration, its pages as Documents, and the checks across pages.

The lowest stage: it imports nothing of polybook but ``errors`` and ``fsutil``.
"""
