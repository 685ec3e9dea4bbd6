"""`ServerConfig`: what the application server process (callcenter.server) runs with."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from callcenter.api_limits import ApiLimits, ApiTls
from esl_handlers.socket_limits import OutboundLimits
from freeswitch_conf.settings import CallControl


@dataclass(frozen=True)
class ServerConfig:
    dialplan: Path
    database_url: str
    app_host: str
    app_port: int
    esl_host: str
    esl_port: int
    esl_password: str
    dead_letter: Path
    tts_engine: str | None = "flite"
    tts_voice: str = "slt"
    backlog: int = 4096
    # Queued calls go to the built-in ACD (esl_handlers.acd_server); off: sent to the queue's extension.
    acd: bool = False
    agent_domain: str = "callcenter.local"  # agents' phones: user/<extension>@<agent_domain>
    server_name: str = ""  # this server in agent_state_log and agents.reserved_by; "" = the host name
    # Where `callcenter agent ...` on this machine says an agent changed (None: not listened to).
    control_socket: Path | None = None
    # How callbacks dial the customer, e.g. sofia/gateway/pstn/{number} (None: the ACD's default).
    callback_endpoint: str | None = None
    # How campaigns dial customers, with {number}; None: campaigns are not dialled by this server.
    campaign_endpoint: str | None = None
    # The caller ID of click-to-dial calls (through campaign_endpoint); None: no click-to-dial.
    desk_caller_id: str | None = None
    # The HTTP API (customers, calls, screen pops, the agents' event stream); None: not served.
    api_host: str = "127.0.0.1"
    api_port: int | None = None
    # The API's own database threads, request deadlines and connection cap.
    api_limits: ApiLimits = field(default_factory=ApiLimits)
    api_tls: ApiTls | None = None
    # Where `callcenter render` synthesized the prompts (dialplans.prompt_audio); None: prompts
    # without a recorded file are spoken by TTS.
    prompt_dir: Path | None = None
    # Where mod_json_cdr writes each ended call (esl_handlers.cdr_backstop reads them); None: not read.
    cdr_dir: Path | None = None
    # "socket": FreeSWITCH connects once per call; "park": calls parked, one inbound connection
    # (esl_handlers.parked_calls). Must match the rendered dialplan's.
    call_control: CallControl = "socket"
    # The call records' disk spool (esl_handlers.record_spool); None: `spool` beside the dead letter.
    record_spool: Path | None = None
    # Who may connect to the outbound socket and what a peer may hold there (call control "socket").
    app_limits: OutboundLimits = field(default_factory=OutboundLimits)
    # The call center's IANA time zone: the live statistics' "today" (docs/reports.md).
    time_zone: str = "UTC"

    @property
    def spool_dir(self) -> Path:
        return self.record_spool if self.record_spool is not None else self.dead_letter.parent / "spool"
