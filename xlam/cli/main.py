"""The ``xlam`` command.

Each area contributes commands from its own module under ``xlam/cli/`` (or ``services.cli`` etc.)
through a ``register(app)`` function; heavy libraries are imported inside commands, so
``xlam --help`` stays fast.
"""

from __future__ import annotations

import importlib
import importlib.util

import typer

from xlam.cli.groups import api_app, data_app, eval_app, pipeline_app, train_app

app = typer.Typer(help="xLAM Platform: turn agent data into trained action models.", no_args_is_help=True)
app.add_typer(data_app, name="data")
app.add_typer(train_app, name="train")
app.add_typer(eval_app, name="eval")
app.add_typer(pipeline_app, name="pipeline")
app.add_typer(api_app, name="api")

# Modules that add commands. A module that is not present yet is skipped; one that is present
# but fails to import is an error.
COMMAND_MODULES = (
    "xlam.cli.data",
    "xlam.cli.stages",
    "xlam.cli.mixing",
    "xlam.cli.generate",
    "xlam.cli.synth",
    "xlam.cli.train",
    "xlam.cli.evaluate",
    "xlam.cli.experiment",
    "pipelines.cli",
    "services.cli",
    "services.inference.cli",
    "operators.cli",
    "xlam.cli.quickstart",
)


def _installed(name: str) -> bool:
    """Whether module ``name`` can be imported: ``find_spec('pkg.mod')`` raises (rather than returning
    None) when the parent package ``pkg`` itself is missing, as with only the core installed."""
    try:
        return importlib.util.find_spec(name) is not None
    except ModuleNotFoundError:
        return False


def _register_all() -> None:
    for name in COMMAND_MODULES:
        if _installed(name):
            importlib.import_module(name).register(app)


_register_all()


@app.command()
def version() -> None:
    """Print the platform version."""
    from xlam import __version__

    typer.echo(__version__)


if __name__ == "__main__":
    app()
