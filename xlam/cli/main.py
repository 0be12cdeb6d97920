"""The ``xlam`` command.

Each core area contributes commands from its own module under ``xlam/cli/`` through a
``register(app)`` function; the upper layers (``pipelines.cli``, ``services.cli``,
``services.inference.cli``, ``operators.cli``) register through the ``xlam.cli`` entry-point group; heavy libraries are imported inside commands, so
``xlam --help`` stays fast.
"""

from __future__ import annotations

from importlib.metadata import entry_points

import typer

from xlam.cli import data, evaluate, experiment, generate, mixing, stages, synth, train
from xlam.cli.groups import api_app, data_app, eval_app, pipeline_app, train_app

app = typer.Typer(help="xLAM Platform: turn agent data into trained action models.", no_args_is_help=True)
app.add_typer(data_app, name="data")
app.add_typer(train_app, name="train")
app.add_typer(eval_app, name="eval")
app.add_typer(pipeline_app, name="pipeline")
app.add_typer(api_app, name="api")

# The core's own command modules.
for _module in (data, stages, mixing, generate, synth, train, evaluate, experiment):
    _module.register(app)

#: Entry-point group through which the upper layers (pipelines, services, operators) add commands:
#: ``[project.entry-points."xlam.cli"]`` in pyproject.toml names each ``register(app)`` function. The
#: core never names an upper layer; a layer that is not installed simply adds nothing.
PLUGIN_GROUP = "xlam.cli"


def _register_plugins() -> None:
    for ep in sorted(entry_points(group=PLUGIN_GROUP), key=lambda e: e.name):
        top = ep.value.split(":")[0].split(".")[0]
        try:
            register = ep.load()  # genuine plugin loading: the module is named by the installed distribution
        except ModuleNotFoundError as exc:
            if (exc.name or "").split(".")[0] == top:  # that layer's package is not importable here
                continue
            raise
        register(app)


_register_plugins()


@app.command()
def version() -> None:
    """Print the platform version."""
    from xlam import __version__

    typer.echo(__version__)


if __name__ == "__main__":
    app()
