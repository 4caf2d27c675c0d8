"""``python -m qualgate``."""

from qualgate.cli import main

if __name__ == "__main__":
    main()
