"""Languages: translation pair files (init, sync, status, import), their lints, and the words
polybook itself shows in each language (``locales/<lang>.toml``)."""
