"""The one-command quickstart (``xlam quickstart``): the xLAM loop through a self-started control plane.

    from services.quickstart import QuickstartOptions, run_quickstart
    report_md = run_quickstart(QuickstartOptions(size="tiny-moe", out=Path("xlam-quickstart")))
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from rich.console import Console

from services.quickstart.plan import DEFAULT_SIZE, SIZES, QuickstartOptions, SizeProfile
from services.quickstart.runner import Quickstart, QuickstartError, QuickstartUsageError

__all__ = ["DEFAULT_SIZE", "SIZES", "Quickstart", "QuickstartError", "QuickstartOptions", "QuickstartUsageError",
           "SizeProfile",
           "run_quickstart"]


def _wait_for_ctrl_c(qs: Quickstart) -> None:
    qs.console.print(f"API up at [bold]{qs.facts['api_url']}[/] (token in {qs.out / 'control' / 'admin-token'}); "
                     "press Ctrl-C to stop it.", highlight=False)
    try:
        while qs.stack is not None and qs.stack.alive() is None:
            time.sleep(1)
    except KeyboardInterrupt:
        pass


def run_quickstart(options: QuickstartOptions, *, console: Console | None = None,
                   on_ready: Callable[[Quickstart], None] | None = None) -> Path:
    """Run every step (reusing finished ones); returns ``<out>/report.md``. Raises :class:`QuickstartError`.

    ``on_ready`` is called with the live quickstart (API still up) after the report is written; with
    ``options.keep_running`` and no ``on_ready`` it waits for Ctrl-C.
    """
    hook = on_ready or (_wait_for_ctrl_c if options.keep_running else None)
    return Quickstart(options, console).run(on_ready=hook)
