"""`python -m nextword` runs the command line."""

from .cli import main

main(prog_name="nextword")
