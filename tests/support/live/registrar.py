"""A small SIP registrar and caller on loopback UDP, standing in for FreeSWITCH's agents profile.

It challenges every REGISTER with a 401 (a new nonce each time, `qop="auth"`, as sofia does),
accepts the retry, then rings the registered contact, and finally takes the unREGISTER. It
records every message; checking the digests is the test's job (`digest_response`).
"""

from __future__ import annotations

import hashlib
import re
import secrets
import socket
from dataclasses import dataclass, field

REALM = "callcenter.local"
_CRLF = "\r\n"


@dataclass
class SipMessage:
    first_line: str
    headers: dict[str, str]
    body: str

    @classmethod
    def parse(cls, data: bytes) -> SipMessage:
        text = data.decode("utf-8", errors="replace")
        head, _, body = text.replace(_CRLF, "\n").partition("\n\n")
        first, *lines = head.split("\n")
        headers: dict[str, str] = {}
        for line in lines:
            name, _, value = line.partition(":")
            headers.setdefault(name.strip().lower(), value.strip())
        return cls(first.strip(), headers, body)

    def header(self, name: str) -> str:
        return self.headers.get(name.lower(), "")

    @property
    def method(self) -> str:
        return "" if self.first_line.startswith("SIP/2.0") else self.first_line.split()[0]

    @property
    def status(self) -> int:
        return int(self.first_line.split()[1]) if self.first_line.startswith("SIP/2.0") else 0

    @property
    def request_uri(self) -> str:
        return self.first_line.split()[1]

    @property
    def cseq(self) -> str:
        return self.header("CSeq")


def digest_params(authorization: str) -> dict[str, str]:
    scheme, _, rest = authorization.partition(" ")
    assert scheme == "Digest", authorization
    return {key: quoted or bare for key, quoted, bare in re.findall(r'(\w+)=(?:"([^"]*)"|([^,\s]*))', rest)}


def digest_response(params: dict[str, str], *, method: str, password: str) -> str:
    """RFC 2617 MD5 digest for the Authorization's own username, realm, nonce, uri, qop, nc, cnonce."""

    def md5(text: str) -> str:
        return hashlib.md5(text.encode()).hexdigest()

    ha1 = md5(f"{params['username']}:{params['realm']}:{password}")
    ha2 = md5(f"{method}:{params['uri']}")
    if params.get("qop"):
        return md5(f"{ha1}:{params['nonce']}:{params['nc']}:{params['cnonce']}:{params['qop']}:{ha2}")
    return md5(f"{ha1}:{params['nonce']}:{ha2}")


@dataclass
class Registrar:
    sock: socket.socket = field(default_factory=lambda: socket.socket(socket.AF_INET, socket.SOCK_DGRAM))
    received: list[SipMessage] = field(default_factory=list)
    nonces: list[str] = field(default_factory=list)
    phone: tuple[str, int] = ("", 0)

    def __post_init__(self) -> None:
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(1.0)
        self.port: int = self.sock.getsockname()[1]

    def close(self) -> None:
        self.sock.close()

    def expect(self, wanted: str, timeout_s: float = 20.0) -> SipMessage:
        """The next message that is `wanted` ("REGISTER", "BYE", "200 INVITE", ...); others are kept."""
        for _ in range(int(timeout_s)):
            try:
                data, self.phone = self.sock.recvfrom(65535)
            except TimeoutError:
                continue
            message = SipMessage.parse(data)
            self.received.append(message)
            kind = message.method or f"{message.status} {message.cseq.split()[-1]}"
            if kind == wanted:
                return message
        raise AssertionError(f"no {wanted} within {timeout_s}s; got {[m.first_line for m in self.received]}")

    def register(self) -> tuple[SipMessage, SipMessage]:
        """Challenge one REGISTER, accept the retry; returns (challenged, authorised)."""
        first = self.expect("REGISTER")
        nonce = secrets.token_hex(16)
        self.nonces.append(nonce)
        challenge = f'WWW-Authenticate: Digest realm="{REALM}", nonce="{nonce}", algorithm=MD5, qop="auth"'
        self.reply(first, "401 Unauthorized", challenge)
        retry = self.expect("REGISTER")
        while not retry.header("Authorization"):  # a retransmission of the first
            retry = self.expect("REGISTER")
        contact, expires = retry.header("Contact"), retry.header("Expires")
        self.reply(retry, "200 OK", f"Contact: {contact}", f"Expires: {expires}")
        return first, retry

    def reply(self, request: SipMessage, status: str, *extra: str) -> None:
        to = request.header("To")
        if status.startswith(("200", "401")) and ";tag=" not in to:
            to += ";tag=registrar"
        lines = [f"SIP/2.0 {status}", f"Via: {request.header('Via')}", f"From: {request.header('From')}"]
        lines += [f"To: {to}", f"Call-ID: {request.header('Call-ID')}", f"CSeq: {request.cseq}", *extra]
        self.send(lines)

    def send(self, lines: list[str], body: str = "") -> None:
        text = _CRLF.join([*lines, f"Content-Length: {len(body)}", "", body])
        self.sock.sendto(text.encode(), self.phone)

    def request(self, method: str, cseq: int, *, to_tag: str = "", body: str = "") -> None:
        here = f"127.0.0.1:{self.port}"
        phone = f"{self.phone[0]}:{self.phone[1]}"
        lines = [
            f"{method} sip:agent@{phone} SIP/2.0",
            f"Via: SIP/2.0/UDP {here};branch=z9hG4bK{secrets.token_hex(6)}",
            f"From: <sip:queue@{REALM}>;tag=switch",
            f"To: <sip:agent@{REALM}>" + (f";tag={to_tag}" if to_tag else ""),
            "Call-ID: queue-call@127.0.0.1",
            f"CSeq: {cseq} {method}",
            f"Contact: <sip:queue@{here}>",
            "Max-Forwards: 70",
        ]
        if body:
            lines.append("Content-Type: application/sdp")
        self.send(lines, body)


OFFER = _CRLF.join(
    [
        "v=0",
        "o=switch 1 1 IN IP4 127.0.0.1",
        "s=-",
        "c=IN IP4 127.0.0.1",
        "t=0 0",
        "m=audio 47900 RTP/AVP 0 101",
        "a=rtpmap:0 PCMU/8000",
        "a=rtpmap:101 telephone-event/8000",
        "",
    ]
)
