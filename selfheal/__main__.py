"""python -m selfheal / the `selfheal` command: the same tasks as tasks.py, as a standalone program."""

from invoke import Program

from . import __version__
from .tasks import ns


def main() -> None:
    """Run the selfheal program (schema.json defaults to $SELFHEAL_SCHEMA, else ./schema.json)."""
    Program(namespace=ns, version=__version__, name="selfheal", binary="selfheal").run()


if __name__ == "__main__":
    main()
