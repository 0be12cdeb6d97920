"""Task samplers per environment: user goals with their ground-truth calls and expected effects.

Each sampler looks at the current state (after the dialogue's earlier turns) and draws one goal
the way a user would state it. Like a real generator, samplers do not check every precondition
(an amount may exceed the balance, an order may no longer be pending, a room may be booked):
the execution check rejects those blueprints, and the semantic check rejects goals whose calls
succeed but do not change the state as the goal says (e.g. inviting someone already invited).
"""

from __future__ import annotations

from xlam.synthesis.multi_turn.blueprint import Task
from xlam.synthesis.multi_turn.tasks.bank import BANK
from xlam.synthesis.multi_turn.tasks.base import C, Domain, money
from xlam.synthesis.multi_turn.tasks.calendar import CALENDAR
from xlam.synthesis.multi_turn.tasks.filesystem import FILESYSTEM
from xlam.synthesis.multi_turn.tasks.retail import RETAIL

DOMAINS: dict[str, Domain] = {d.env: d for d in (FILESYSTEM, RETAIL, CALENDAR, BANK)}

__all__ = ["BANK", "CALENDAR", "DOMAINS", "FILESYSTEM", "RETAIL", "C", "Domain", "Task", "money"]
