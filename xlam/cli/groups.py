"""Shared command groups. Area modules add commands to these groups (see xlam/cli/main.py)."""

import typer

data_app = typer.Typer(help="Unify, verify, augment, synthesize and mix agent data.", no_args_is_help=True)
train_app = typer.Typer(help="Train (SFT, DPO) and plan GPU memory.", no_args_is_help=True)
eval_app = typer.Typer(help="Evaluate models (BFCL AST scoring).", no_args_is_help=True)
pipeline_app = typer.Typer(help="Compile, run and submit Kubeflow pipelines.", no_args_is_help=True)
api_app = typer.Typer(help="Talk to a control-plane REST API.", no_args_is_help=True)
