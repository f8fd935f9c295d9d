"""``python -m web.cli``: the command line."""

from web.cli import main

main()
