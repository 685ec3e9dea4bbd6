"""The bundled hold music: a calm chord loop synthesized at render time (no sound pack needed).

mod_local_stream plays every file of its directory in turn, opened at the stream's `rate` (8000 in
local_stream.conf; the core resamples anything else). So the rendered conf carries one file,
8 kHz mono 16-bit PCM WAV (mod_sndfile reads it; no transcoding of the call's G.711), about a
minute long, in `sounds/moh/` (HOLD_MUSIC_DIR). The directory holds nothing else: local_stream
tries every regular file, hidden ones too, and logs "Can't open" for anything it cannot play.

The music: I-vi-IV-V in C (C, Am, F, G), one chord per 4 s, a soft sine pad (175-400 Hz) under a
plucked arpeggio (350-1050 Hz, where a phone carries it best) that changes pattern each 16 s
cycle; peaks about -10 dBFS, the ends faded so the loop restarts without a click. Pure Python,
~1.5 s of CPU, and never made twice for the same score: the file name carries a digest of the
score and of GENERATOR_VERSION, and `hold_music_files` reuses the previous rendering's file of
that name.
"""

from __future__ import annotations

import functools
import hashlib
import io
import math
import wave
from array import array
from pathlib import Path
from typing import Final

HOLD_MUSIC_DIR: Final = "sounds/moh"
RATE: Final = 8000
GENERATOR_VERSION: Final = 2
CHORD_SECONDS: Final = 4.0
NOTE_SECONDS: Final = 0.5
# MIDI note numbers; each chord: pad voices (F3-G4), arpeggio tones (F4-C6).
CHORDS: Final = (
    ((60, 64, 67), (72, 76, 79, 84)),  # C
    ((57, 60, 64), (69, 72, 76, 81)),  # Am
    ((53, 57, 60), (65, 69, 72, 77)),  # F
    ((55, 59, 62), (67, 71, 74, 79)),  # G
)
# Per 16 s cycle, the order of the arpeggio tones (indexes into the chord's four) over 8 notes.
PATTERNS: Final = (
    (0, 1, 2, 3, 2, 1, 0, 1),
    (0, 2, 1, 3, 0, 2, 1, 2),
    (3, 2, 1, 0, 1, 2, 3, 2),
    (0, 1, 2, 1, 3, 2, 1, 0),
)
PAD_LEVEL: Final = 0.055  # per voice
PLUCK_LEVEL: Final = 0.16
FADE_SECONDS: Final = 0.4


def hold_music_name() -> str:
    """The file's name: a digest of everything that shapes its samples."""
    score = repr((GENERATOR_VERSION, RATE, CHORD_SECONDS, NOTE_SECONDS, CHORDS, PATTERNS, PAD_LEVEL))
    score += repr((PLUCK_LEVEL, FADE_SECONDS))
    return f"callcenter-hold-{hashlib.sha256(score.encode()).hexdigest()[:12]}.wav"


def hold_music_files(previous_conf: Path | None) -> dict[str, bytes]:
    """{relative path: WAV bytes} for the rendered conf; the previous rendering's copy when it has one."""
    relative = f"{HOLD_MUSIC_DIR}/{hold_music_name()}"
    if previous_conf is not None:
        old = previous_conf / relative
        if old.is_file() and old.stat().st_size == _wav_size():
            return {relative: old.read_bytes()}
    return {relative: hold_music_wav()}


def own_music_problem(moh_dir: Path) -> str | None:
    """What would keep local_stream from playing an engineer's own music directory, or None.

    Checked on this machine only (render may run elsewhere than FreeSWITCH): a missing directory
    stops the stream ("Unknown source"), an empty one plays silence, a hidden file is tried too.
    """
    if not moh_dir.is_dir():
        return (
            f"hold music directory {moh_dir} does not exist: local_stream://moh will not start "
            "and queued callers will hear the fallback tone"
        )
    names = sorted(p.name for p in moh_dir.iterdir() if p.is_file())
    if not names:
        return f"hold music directory {moh_dir} holds no file: local_stream://moh will play silence"
    hidden = [name for name in names if name.startswith(".")]
    if hidden:
        return f"hold music directory {moh_dir}: local_stream will try to play {', '.join(hidden)} too"
    return None


@functools.cache
def hold_music_wav() -> bytes:
    samples = synthesize()
    out = io.BytesIO()
    with wave.open(out, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(RATE)
        wav.writeframes(samples.tobytes())  # array('h') is native order; see synthesize()
    return out.getvalue()


def _frames() -> int:
    return round(len(PATTERNS) * len(CHORDS) * CHORD_SECONDS * RATE)


def _wav_size() -> int:
    return 44 + 2 * _frames()


def _hz(note: int) -> float:
    return 440.0 * 2 ** ((note - 69) / 12)


def synthesize() -> array[int]:
    """The whole loop as signed 16-bit little-endian samples."""
    total = _frames()
    mix = [0.0] * total
    chord_n = round(CHORD_SECONDS * RATE)
    note_n = round(NOTE_SECONDS * RATE)
    step = 2 * math.pi / RATE
    for cycle, pattern in enumerate(PATTERNS):
        for index, (pad, tones) in enumerate(CHORDS):
            start = (cycle * len(CHORDS) + index) * chord_n
            # Pad: each chord swells in and out over its 4 s (a raised-cosine window), so chords overlap
            # softly; a slow 0.2 Hz detune keeps it from sounding like a test tone.
            length = min(chord_n + chord_n // 4, total - start)
            for note in pad:
                w = _hz(note) * step
                for i in range(length):
                    env = 0.5 - 0.5 * math.cos(2 * math.pi * i / (chord_n + chord_n // 4))
                    mix[start + i] += PAD_LEVEL * env * math.sin(w * i + 0.3 * math.sin(0.2 * step * i))
            # Arpeggio: plucked notes, a fast attack and an exponential decay, with a quiet octave.
            for k, tone in enumerate(pattern):
                at = start + k * note_n
                w = _hz(tones[tone]) * step
                length = min(note_n * 4, total - at)  # decayed to -58 dB: no click
                for i in range(length):
                    env = math.exp(-i / (0.3 * RATE)) * min(1.0, i / 80)
                    mix[at + i] += PLUCK_LEVEL * env * (math.sin(w * i) + 0.2 * math.sin(2 * w * i))
    fade = round(FADE_SECONDS * RATE)
    for i in range(fade):
        gain = i / fade
        mix[i] *= gain
        mix[total - 1 - i] *= gain
    samples = array("h", (max(-32767, min(32767, round(v * 32767))) for v in mix))
    if array("h", [1]).tobytes() != b"\x01\x00":  # WAV is little-endian
        samples.byteswap()
    return samples
