"""Harnesses of the live tier: a real FreeSWITCH on the rendered conf, the application server, SIPp."""
