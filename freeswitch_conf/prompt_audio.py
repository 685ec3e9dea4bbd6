"""Prompts as audio files at render time: each text without a recorded file, synthesized once.

Why: mod_flite speaking the example's prompts costs FreeSWITCH ~260 ms of CPU per call; the same
call playing files ~55 ms (docs/performance.md). So `callcenter render` writes every prompt that
has a `text` and no recorded `file` to `dialplans.prompt_audio.prompt_audio_path(...)`: 8000 Hz
mono 16-bit PCM WAV, the rate of the G.711 calls, so FreeSWITCH plays it without resampling.

- Synthesizer: Debian's `flite` with the configured voice (the one mod_flite speaks with, so
  files and live speech sound alike), else `espeak-ng` (voice en-us). Both write at their own
  rate (16000 / 22050 Hz); `sox` converts to 8000 Hz mono 16-bit.
- Cache: the file name is a hash of (format, engine, voice, text), so an existing file is never
  synthesized again and a changed text gets a new file. Old files are left in place: a running
  server may still play them until it reloads; delete the directory to clear it.
- Files are written beside their final name and renamed in, mode 0644 in a 0755 directory, so a
  FreeSWITCH running as another user can read them and never sees a half-written file.
- Nothing to synthesize with (no flite or espeak-ng, or no sox): the report says so and the
  server speaks those prompts with mod_flite as before. A failed synthesis of one prompt is
  reported and that prompt is spoken; rendering goes on.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import wave
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from dialplans.models import Dialplan
from dialplans.prompt_audio import SAMPLE_RATE, Voice, check_prompt_dir, prompt_audio_path, synthesis_voices
from dialplans.sounds import audio_path

SYNTH_TIMEOUT_SECONDS: Final = 60.0
_FILE_MODE: Final = 0o644
_DIR_MODE: Final = 0o755

Which = Callable[[str], str | None]


class SynthesisError(Exception):
    """One prompt could not be synthesized (the message says which tool failed and why)."""


@dataclass(frozen=True, slots=True)
class Synthesizer:
    """A synthesizer binary and voice, and sox to bring its output to 8000 Hz mono 16-bit."""

    voice: Voice
    binary: str
    sox: str

    def synthesize(self, text: str, target: Path) -> None:
        """Write `text` as speech to `target` (renamed in only when complete and checked)."""
        target.parent.mkdir(parents=True, exist_ok=True, mode=_DIR_MODE)
        with tempfile.TemporaryDirectory(dir=target.parent, prefix=".synth-") as scratch:
            folder = Path(scratch)
            text_file = folder / "text.txt"
            text_file.write_text(text, encoding="utf-8")
            raw = folder / "raw.wav"
            _run(self._speak_command(text_file, raw), self.voice.engine)
            converted = folder / "8k.wav"
            _run([self.sox, str(raw), "-r", str(SAMPLE_RATE), "-c", "1", "-b", "16", "-e", "signed-integer",
                  str(converted)], "sox")  # fmt: skip
            check_wav(converted)
            converted.chmod(_FILE_MODE)
            os.replace(converted, target)

    def _speak_command(self, text_file: Path, out: Path) -> list[str]:
        # The text goes in a file, never on the command line: it may start with '-' or be long.
        if self.voice.engine == "flite":
            return [self.binary, "-voice", self.voice.voice, "-f", str(text_file), "-o", str(out)]
        return [self.binary, "-v", self.voice.voice, "-f", str(text_file), "-w", str(out)]


def find_synthesizer(tts_voice: str, which: Which = shutil.which) -> Synthesizer | str:
    """The first synthesizer on PATH (flite, then espeak-ng) with sox, or why there is none."""
    sox = which("sox")
    for voice in synthesis_voices(tts_voice):
        binary = which(voice.engine)
        if binary is not None:
            if sox is None:
                return f"found {voice.engine} but not sox, which converts its output to 8000 Hz"
            return Synthesizer(voice, binary, sox)
    return "neither flite nor espeak-ng is on PATH (Debian: apt-get install flite sox)"


@dataclass
class PromptAudioReport:
    """What render_prompt_audio did, by prompt name."""

    prompt_dir: Path
    synthesized: list[str] = field(default_factory=list)
    cached: list[str] = field(default_factory=list)
    recorded: list[str] = field(default_factory=list)
    spoken: dict[str, str] = field(default_factory=dict)  # name -> why it stays TTS
    problem: str | None = None  # why nothing could be synthesized

    def lines(self) -> list[str]:
        """One line per fact, for the console: problems first, then the counts."""
        out: list[str] = []
        if self.problem is not None:
            out.append(
                f"prompt audio: {self.problem}; {len(self.spoken)} prompt(s) will be spoken by mod_flite"
            )
        for name, why in self.spoken.items():
            if self.problem is None:
                out.append(f"prompt audio: {name!r} will be spoken by mod_flite: {why}")
        out.append(
            f"prompt audio in {self.prompt_dir}: {len(self.synthesized)} synthesized, "
            f"{len(self.cached)} unchanged, {len(self.recorded)} recorded, {len(self.spoken)} spoken"
        )
        return out


def render_prompt_audio(
    dialplan: Dialplan,
    sounds_dir: Path,
    prompt_dir: Path,
    tts_voice: str,
    *,
    which: Which = shutil.which,
) -> PromptAudioReport:
    """Synthesize each prompt with a text and no recorded file into `prompt_dir`, unless already there."""
    check_prompt_dir(prompt_dir)
    report = PromptAudioReport(prompt_dir)
    wanted: dict[str, str] = {}
    for name, prompt in dialplan.prompts.items():
        if prompt.file is not None and audio_path(sounds_dir, prompt.file).is_file():
            report.recorded.append(name)  # the engineer's recording wins
        elif prompt.text is not None:
            wanted[name] = prompt.text
    if not wanted:
        return report
    synthesizer = find_synthesizer(tts_voice, which)
    if isinstance(synthesizer, str):
        report.problem = synthesizer
        report.spoken = dict.fromkeys(wanted, synthesizer)
        return report
    for name, text in wanted.items():
        target = prompt_audio_path(prompt_dir, synthesizer.voice, text)
        if target.is_file():
            report.cached.append(name)
            continue
        try:
            synthesizer.synthesize(text, target)
        except SynthesisError as exc:
            report.spoken[name] = str(exc)
        else:
            report.synthesized.append(name)
    return report


def check_wav(path: Path) -> None:
    """SynthesisError unless `path` is a non-empty 8000 Hz mono 16-bit PCM WAV."""
    try:
        with wave.open(str(path), "rb") as audio:
            shape = (audio.getframerate(), audio.getnchannels(), audio.getsampwidth(), audio.getnframes())
    except (OSError, EOFError, wave.Error) as exc:
        raise SynthesisError(f"{path.name} is not a readable WAV file: {exc}") from exc
    rate, channels, width, frames = shape
    if (rate, channels, width) != (SAMPLE_RATE, 1, 2) or frames == 0:
        raise SynthesisError(
            f"{path.name}: expected {SAMPLE_RATE} Hz mono 16-bit audio, got {rate} Hz, "
            f"{channels} channel(s), {8 * width}-bit, {frames} frames"
        )


def _run(command: list[str], tool: str) -> None:
    try:
        completed = subprocess.run(
            command,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=SYNTH_TIMEOUT_SECONDS,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise SynthesisError(f"{tool} failed: {exc}") from exc
    if completed.returncode != 0:
        detail = (completed.stderr or completed.stdout).strip().splitlines()[-1:] or ["no output"]
        raise SynthesisError(f"{tool} exited with {completed.returncode}: {detail[0]}")
