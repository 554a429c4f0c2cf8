"""Run the medts CLI with ``python -m medts`` (and ``accelerate launch -m medts``)."""
import sys

from medts.cli import main

if __name__ == "__main__":
    sys.exit(main())
