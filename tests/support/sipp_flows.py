"""The shipped SIPp scenarios, read as XML and as the flow of messages they send and expect."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from importlib import resources


def scenario(name: str) -> ET.Element:
    text = resources.files("sipp_scenarios").joinpath(name).read_text(encoding="iso-8859-1")
    return ET.fromstring(text.encode("iso-8859-1"))


def flow(root: ET.Element) -> list[str]:
    """The scenario as SIPp's screen lists it: '> INVITE', '< 200', '< 180?' (optional), 'pause', ..."""
    steps = []
    for element in root:
        if element.tag == "send":
            first_line = next(line.strip() for line in (element.text or "").splitlines() if line.strip())
            steps.append(
                "> " + (first_line.split()[1] if first_line.startswith("SIP/2.0") else first_line.split()[0])
            )
        elif element.tag == "recv":
            what = element.get("response") or element.get("request")
            steps.append(f"< {what}" + ("?" if element.get("optional") == "true" else ""))
        elif element.tag == "pause":
            steps.append("pause")
        elif element.tag == "nop":
            execs = [e.attrib for e in element.iter("exec")]
            steps.append("nop " + " ".join(f"{k}={v}" for attrs in execs for k, v in attrs.items()))
    return steps
