"""python -m selfheal / the `selfheal` command: the same tasks as tasks.py, as a standalone program."""

import difflib
import os
import sys

from invoke import Program
from invoke.exceptions import ParseError
from invoke.parser import ParserContext

from selfheal.findings import set_program
from selfheal.tasks import ns
from selfheal.version import __version__

# Invoke's own flags that mean something for selfheal; the others (--dry, --echo, --pty, --config …)
# configure shell commands selfheal never runs, and `--dry heal.db` must not look like a dry run
OWN_FLAGS = ("help", "list", "version", "complete", "print-completion-script")


class SelfhealProgram(Program):
    """Invoke's Program with selfheal's own flags only, and the closest task name suggested for a typo."""

    def parse_core_args(self) -> None:
        """Parse the program's flags; one of Invoke's that selfheal does not take is an error, not ignored."""
        super().parse_core_args()
        for arg in self.core[0].args.values():
            if arg.name not in OWN_FLAGS and arg.got_value:
                hint = " (`selfheal TASK --dry-run` prints what a task would do)" if arg.name == "dry" else ""
                raise ParseError(f"selfheal: --{arg.name} is not an option of selfheal{hint}; options: "
                                 f"{', '.join('--' + f for f in OWN_FLAGS[:3])}, and each task's own "
                                 "(`selfheal TASK --help`)")

    def print_help(self) -> None:
        """Usage with selfheal's own flags (not Invoke's), then the tasks."""
        print(f"Usage: {self.binary} [--help | --list | --version] <task> [--task-options] ...")
        print("")
        print("Options:")
        print("")
        own = [a for a in self.core_args() if a.name in OWN_FLAGS]
        self.print_columns(ParserContext(args=own).help_tuples())
        self.list_tasks()

    def parse_tasks(self) -> None:
        """Parse the tasks; an unknown name gets the closest real one and the list of tasks."""
        try:
            super().parse_tasks()
        except ParseError as exc:
            text = str(exc)
            if text.startswith("No idea what '") and text.split("'")[1].startswith("-"):
                raise ParseError(f"selfheal: unknown option '{text.split(chr(39))[1]}' (`selfheal --help` and "
                                 "`selfheal TASK --help` list the options)") from None
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
