"""FreeSWITCH XML configuration rendered from the dialplan model with jinja2."""
