"""python -m selfheal / the `selfheal` command: the same tasks as tasks.py, as a standalone program."""

import difflib
import os
import sys

from invoke import Program
from invoke.exceptions import ParseError

from selfheal.findings import set_program
from selfheal.tasks import ns
from selfheal.version import __version__


class SelfhealProgram(Program):
    """Invoke's Program, with the closest task name suggested for a typo."""

    def parse_tasks(self) -> None:
        """Parse the tasks; an unknown name gets the closest real one and the list of tasks."""
        try:
            super().parse_tasks()
        except ParseError as exc:
            text = str(exc)
            if text.startswith("No idea what '"):
                typed = text.split("'")[1]
                names = sorted(self.collection.task_names) if self.collection else []
                close = difflib.get_close_matches(typed, names, n=1)
                hint = f"; did you mean '{close[0]}'?" if close else ""
                raise ParseError(f"selfheal: no task named '{typed}'{hint} (tasks: {', '.join(names)}; "
                                 "`selfheal --list` describes them)") from None
            raise


def main() -> None:
    """Run the selfheal program (schema.json defaults to $SELFHEAL_SCHEMA, else ./schema.json)."""
    set_program("selfheal")
    try:
        SelfhealProgram(namespace=ns, version=__version__, name="selfheal", binary="selfheal").run()
        sys.stdout.flush()
    except BrokenPipeError:
        # the reader went away (`selfheal --list | head`): not an error worth a traceback
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        sys.exit(0)


if __name__ == "__main__":
    main()
