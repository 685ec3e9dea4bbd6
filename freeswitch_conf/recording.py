"""What call recording asks of the switch (FreeSWITCH 1.10 and 1.11): mod_shout, only for MP3.

The application server records with `record_session PATH` / `uuid_record UUID start PATH`; the
file's extension picks the file interface. mod_sndfile (always loaded) writes `.wav`; `.mp3` needs
mod_shout, which registers the file formats shout, mp3 and mpga and encodes with LAME (16 kbit/s
per channel at 8 kHz unless shout.conf sets `encode-brate`). So mod_shout is loaded only when a
recording policy asks for mp3. Its load function reads `shout.conf` but ignores a missing one
(it only logs "Open of shout.conf failed"); an empty one is rendered so that no error is logged.

Nothing else needs configuring: record_session creates the missing directories of the path
itself, records at the channel's read rate unless `record_sample_rate` is set, and writes two
channels when `RECORD_STEREO=true` is set on the channel (the read stream, the caller on that
leg, on the left).
"""

from __future__ import annotations

from typing import Final

from dialplans.models import Dialplan

MP3_MODULE: Final = "mod_shout"


def records_mp3(dialplan: Dialplan) -> bool:
    """Whether some recording policy writes MP3 (named or not: the API may start any policy)."""
    return any(policy.format == "mp3" for policy in dialplan.recording.policies.values())
