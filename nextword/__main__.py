"""`python -m nextword` runs the command line."""

from .cli.main import main

main(prog_name="nextword")
