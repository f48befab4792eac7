"""``python -m malwar``: the same CLI as the ``malwar`` command."""

from malwar.cli import main

if __name__ == "__main__":
    main()
