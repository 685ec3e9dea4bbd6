"""Render a complete FreeSWITCH conf directory (1.10 and 1.11) from a loaded dialplan.

Start FreeSWITCH on it with `freeswitch -nonat -nc -nf -conf DIR -log DIR -db DIR`; apply a new
rendering to a running switch with the commands in `freeswitch_conf.reload`.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Protocol

import jinja2

from dialplans.fallback_models import FALLBACK_CONTEXT
from dialplans.models import Dialplan
from freeswitch_conf.atomic import write_tree
from freeswitch_conf.directory import directory_users
from freeswitch_conf.escaping import Built, RenderError, preprocess_safe, runtime_safe, xml_value
from freeswitch_conf.fallback import fallback_routes
from freeswitch_conf.hold_music import HOLD_MUSIC_DIR, hold_music_files
from freeswitch_conf.recording import MP3_MODULE, records_mp3
from freeswitch_conf.routes import bridge_routes, did_routes
from freeswitch_conf.say import SAY_BY_VARIABLE, SAY_MODULE_LIBRARY, resolve_say_by, say_languages
from freeswitch_conf.settings import PARK_LEASE_SECONDS, TTS_MODULES, SwitchSettings
from freeswitch_conf.voicemail import VOICEMAIL_MODULE, VOICEMAIL_PROFILE, mailbox_users, voicemail_boxes

__all__ = [
    "BASE_MODULES",
    "MARKER",
    "MODULE_CONFIGS",
    "DialplanSource",
    "RenderError",
    "SwitchSettings",
    "modules_for",
    "render_conf",
    "render_files",
]

TEMPLATES_DIR = Path(__file__).parent / "templates"
CALLERS_PROFILE = "callers"
AGENTS_PROFILE = "agents"
ESL_ACL = "esl_loopback"
CALLERS_ACL = "callers_allowed"
CODECS = "PCMU,PCMA"
# G.711 (PCMU/PCMA) is built into the core (CORE_PCM_MODULE): there is no mod_g711 to load.
BASE_MODULES: tuple[str, ...] = (
    "mod_console",
    "mod_logfile",
    "mod_event_socket",
    "mod_sofia",
    "mod_commands",
    "mod_dptools",
    "mod_dialplan_xml",
    "mod_sndfile",
    "mod_native_file",
    "mod_local_stream",
    "mod_tone_stream",
    "mod_json_cdr",  # the call records' backstop: one file per ended call (docs/reliability.md)
    "mod_avmd",  # answering machines' beeps on campaign calls (docs/campaigns.md, "Call progress")
    SAY_MODULE_LIBRARY,  # the `say` application's English numbers, dates and amounts (lang/en.xml)
)
# The configuration each module asks for when it loads; 1.11 refuses a module whose file is missing.
MODULE_CONFIGS: Mapping[str, str] = {
    "mod_console": "console.conf",
    "mod_logfile": "logfile.conf",
    "mod_event_socket": "event_socket.conf",
    "mod_sofia": "sofia.conf",
    "mod_sndfile": "sndfile.conf",
    "mod_local_stream": "local_stream.conf",
    "mod_json_cdr": "json_cdr.conf",
    "mod_avmd": "avmd.conf",
    VOICEMAIL_MODULE: "voicemail.conf",
    MP3_MODULE: "shout.conf",
}
_CORE_CONFIGS = ("switch", "acl", "modules", "pre_load_modules", "post_load_modules", "timezones")
_SECRET_FILES = frozenset({"autoload_configs/event_socket.conf.xml"})
# The directory holds the agents' SIP passwords.
_SECRET_DIRS = ("directory/",)
# Marks a directory as rendered here: render_conf replaces a non-empty directory only when it carries this.
MARKER = ".rendered-by-callcenter"
_SECRET_MODE = 0o600
# Where FreeSWITCH's packages keep their configuration: render_files' default `conf_dir`.
DEFAULT_CONF_DIR = Path("/etc/freeswitch")


class DialplanSource(Protocol):
    """What the renderer reads from `dialplans.loader.LoadedDialplan`."""

    @property
    def model(self) -> Dialplan: ...

    @property
    def sounds_dir(self) -> Path: ...


def modules_for(settings: SwitchSettings, *, voicemail: bool = False, mp3: bool = False) -> tuple[str, ...]:
    """The modules to load; `voicemail` when a queue or fallback uses a mailbox (`voicemail_boxes`),
    `mp3` when some recording policy writes MP3 (`records_mp3`)."""
    tts = (TTS_MODULES[settings.tts_engine],) if settings.tts_engine else ()
    return BASE_MODULES + tts + ((VOICEMAIL_MODULE,) if voicemail else ()) + ((MP3_MODULE,) if mp3 else ())


def render_conf(loaded: DialplanSource, settings: SwitchSettings, out_dir: Path) -> list[Path]:
    """Render every file, then swap the whole directory in at once. Returns the files written.

    The previous contents of `out_dir` are discarded, so a non-empty directory is replaced only if
    an earlier render_conf wrote it; anything else raises RenderError and is left untouched.
    """
    if out_dir.is_dir() and any(out_dir.iterdir()) and not (out_dir / MARKER).is_file():
        raise RenderError(f"refusing to replace {out_dir}: it holds files callcenter did not render")
    files: dict[str, str | bytes] = dict(render_files(loaded, settings, conf_dir=out_dir))
    files[MARKER] = "Rendered by `callcenter render`; every file here is replaced on the next render.\n"
    if settings.moh_dir is None:  # the bundled hold music, unless the engineer points at other music
        files |= hold_music_files(out_dir if out_dir.is_dir() else None)
    modes = {name: _SECRET_MODE for name in files if name in _SECRET_FILES or name.startswith(_SECRET_DIRS)}
    return write_tree(out_dir, files, modes)


def render_files(
    loaded: DialplanSource, settings: SwitchSettings, *, conf_dir: Path = DEFAULT_CONF_DIR
) -> dict[str, str]:
    """The conf directory as {relative path: text}, without touching the disk; `conf_dir` is where
    it will live (local_stream.conf names the hold music render_conf writes there)."""
    env = _environment()
    sounds_dir = settings.sounds_dir or Path(loaded.sounds_dir).absolute()
    modules = modules_for(
        settings, voicemail=bool(voicemail_boxes(loaded.model)), mp3=records_mp3(loaded.model)
    )
    common = {
        "settings": settings,
        "esl_acl": ESL_ACL,
        "callers_acl": CALLERS_ACL if settings.caller_networks else "",
        "callers_profile": CALLERS_PROFILE,
        "agents_profile": AGENTS_PROFILE,
        "codecs": CODECS,
        "modules": modules,
        "voicemail_profile": VOICEMAIL_PROFILE,
        # Without a moh_dir of the engineer's: the music render_conf writes into the conf directory.
        "moh_dir": settings.moh_dir or conf_dir.absolute() / HOLD_MUSIC_DIR,
        "global_vars": _global_vars(settings, sounds_dir),
        "ring_seconds": settings.agent_ring_seconds,
    }
    files: dict[str, str] = {}
    for name in ("freeswitch.xml", "vars.xml"):
        files[name] = env.get_template(name).render(common)
    users = directory_users(loaded.model, settings.agent_passwords)
    mailboxes = mailbox_users(loaded.model, {user.extension for user in users})
    files["directory/default.xml"] = env.get_template("directory/default.xml").render(
        common, users=users, mailboxes=mailboxes
    )
    module_confs = (MODULE_CONFIGS[m].removesuffix(".conf") for m in modules if m in MODULE_CONFIGS)
    for conf in sorted({*_CORE_CONFIGS, *module_confs}):
        name = f"autoload_configs/{conf}.conf.xml"
        files[name] = env.get_template(name).render(common)
    files["dialplan/public.xml"] = env.get_template("dialplan/public.xml").render(
        common,
        dids=did_routes(loaded.model),
        socket_target=f"{settings.app_host}:{settings.app_port}",
        fallback_context=FALLBACK_CONTEXT,
        say_by=resolve_say_by(settings.say_by, settings.say_sound_prefix, settings.tts_engine),
        say_by_variable=SAY_BY_VARIABLE,
        park_lease=PARK_LEASE_SECONDS,
    )
    files[f"dialplan/{FALLBACK_CONTEXT}.xml"] = env.get_template("dialplan/fallback.xml").render(
        common, context=FALLBACK_CONTEXT, routes=fallback_routes(loaded.model, settings, sounds_dir)
    )
    for language in say_languages(settings.say_sound_prefix, settings.tts_engine, settings.tts_voice):
        files[language.file_name] = env.get_template("lang/language.xml").render(common, language=language)
    for context, routes in bridge_routes(loaded.model).items():
        files[f"dialplan/{context}.xml"] = env.get_template("dialplan/bridges.xml").render(
            common, context=context, routes=routes
        )
    return files


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        autoescape=jinja2.select_autoescape(enabled_extensions=("xml",), default_for_string=True),
        finalize=xml_value,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )
    env.filters["data"] = runtime_safe
    return env


def _global_vars(settings: SwitchSettings, sounds_dir: Path) -> list[tuple[str, Built]]:
    """Globals for the application server and operators; never a secret (vars.xml is 0640)."""
    pairs = [
        ("cc_domain", settings.domain),
        ("cc_callers_profile", CALLERS_PROFILE),
        ("cc_agents_profile", AGENTS_PROFILE),
        ("global_codec_prefs", CODECS),
        ("hold_music", "local_stream://moh"),
        ("sound_prefix", str(sounds_dir)),
        ("recordings_dir", str(settings.recordings_dir)),
    ]
    if settings.tts_engine:
        pairs += [("tts_engine", settings.tts_engine), ("tts_voice", settings.tts_voice)]
    # The sounds folder may hold a space: FreeSWITCH prefixes it to file names, never splits it.
    return [(name, preprocess_safe(value, spaces=name == "sound_prefix")) for name, value in pairs]
