"""Everything that touches FreeSWITCH at run time: ESL codec, outbound socket server, event listener."""
