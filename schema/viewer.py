"""Who is asking: every CRM data-layer query takes a `Viewer` and returns only what they may see.

- an agent sees their own customers (`customers.owner_agent_id`) and the calls they handled;
- a supervisor sees their department's customers and the calls of their department's agents;
- a manager sees everything;
- `SYSTEM` is the call-handling server itself (caller-ID lookup before the menu, self-service,
  screen pops it builds for the agent it offers a call to). It is never handed to API users.

Records a viewer may not see are reported as not found (`schema.errors.NotFound`), so their
existence does not leak; `schema.errors.PermissionDenied` is for what a role may not do at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

Role = Literal["agent", "supervisor", "manager", "system"]


@dataclass(frozen=True, slots=True)
class Viewer:
    user: str
    role: Role
    agent_id: str | None = None
    department: str | None = None
    extension: str | None = None  # their own phone (crm_users.extension): the one supervision rings

    def __post_init__(self) -> None:
        if self.role == "agent" and not self.agent_id:
            raise ValueError(f"agent viewer {self.user!r} needs an agent id")
        if self.role == "supervisor" and not self.department:
            raise ValueError(f"supervisor viewer {self.user!r} needs a department")

    @property
    def sees_everything(self) -> bool:
        return self.role in ("manager", "system")


SYSTEM: Final = Viewer("system", "system")
