"""The `nextword` command line: thin commands over the library."""
