"""How a value from YAML or settings is written into FreeSWITCH XML without becoming markup.

FreeSWITCH reads its XML in two passes, and each needs its own defence
(checked in src/switch_xml.c and src/switch_channel.c of FreeSWITCH 1.10):

1. The pre-processor (`preprocess()`) works on the raw text, line by line, before any XML
   parsing: it expands every `$${name}` anywhere on a line (`expand_vars()`), acts on any line
   containing `X-PRE-PROCESS` (case-insensitive; when it is not preceded by `<` the whole line is
   silently dropped), on `<!--#...-->` commands, and drops lines containing `<include>`,
   `</include>` or `<?`. XML entities mean nothing to it.
2. The XML parser (`switch_xml_decode()`) then decodes character references such as `&#36;`.

So every character outside a small safe set is written as a numeric character reference: the
pre-processor sees no `$`, `<`, `-` or newline it could act on, and the parser gives FreeSWITCH
back the original text. Dialplan action data is expanded a third time, at run time
(`switch_channel_expand_variables()`: `${var}` and `${api(args)}` call into FreeSWITCH), so
values placed there must also pass `runtime_safe()`. Values written into `X-PRE-PROCESS`
directives cannot be escaped at all (the pre-processor does not decode entities) and must pass
`preprocess_safe()`.
"""

from __future__ import annotations

import re

from markupsafe import Markup, escape


class RenderError(ValueError):
    """A value cannot be written into the FreeSWITCH configuration safely."""


# Kept literal for readability; everything else becomes &#N;: never '-', '$', '{', '<', '&', '"' or '\\'.
_LITERAL = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789 _.,:;/@+=*#%()!?'")
# XML 1.0 cannot carry these at all, not even as character references.
_FORBIDDEN = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
# Characters the run-time expander treats as plain text (no '$', '\\', quote or brace).
_RUNTIME_SAFE = re.compile(r"^[A-Za-z0-9_.,:/@+=*# -]*$")
# Raw text inside an X-PRE-PROCESS data="..." attribute: no quote, '$', '<', '&' or newline.
_PREPROCESS_SAFE = re.compile(r"^[A-Za-z0-9_.,:/@+=*%-]*$")
_DIALABLE = re.compile(r"^\+?[0-9*#]{1,32}$")


class Built(str):
    """Text the renderer assembled itself from validated parts (a DID regex): written with plain
    XML escaping so it stays readable, after checking it holds nothing the pre-processor acts on."""


_PREPROCESSOR_TOKENS = re.compile(
    r"\$\$\{|x-pre-process|<!--#|<include>|</include>|<\?|[\r\n]", re.IGNORECASE
)


def xml_value(value: object) -> Markup:
    """The jinja2 `finalize` hook: every `{{ expression }}` of a template passes through here."""
    if isinstance(value, Markup):
        raise RenderError("pre-escaped markup is not accepted in FreeSWITCH templates")
    if isinstance(value, Built):
        if _PREPROCESSOR_TOKENS.search(value) or _FORBIDDEN.search(value):
            raise RenderError(f"{value!r} holds text FreeSWITCH's pre-processor would act on")
        return escape(str(value))
    if value is None or isinstance(value, bool):
        raise RenderError(f"refusing to render {value!r}: the template expects text or a number")
    text = str(value)
    if _FORBIDDEN.search(text):
        raise RenderError(f"control characters cannot be written into XML: {text!r}")
    # Every character outside _LITERAL is now a character reference: the text is inert.
    return Markup(  # noqa: S704
        "".join(
            ch if ch in _LITERAL or (ord(ch) > 127 and ch.isprintable()) else f"&#{ord(ch)};" for ch in text
        )
    )


def runtime_safe(value: object) -> str:
    """A value for dialplan action data: refused unless run-time expansion leaves it unchanged."""
    text = str(value)
    if not _RUNTIME_SAFE.match(text):
        raise RenderError(f"{text!r} cannot be used in dialplan action data: FreeSWITCH would expand it")
    return text


def preprocess_safe(value: object, *, spaces: bool = False) -> Built:
    """A value for an X-PRE-PROCESS directive, which FreeSWITCH reads raw, without XML decoding:
    it is checked, not escaped, and written as is. `set` keeps the spaces inside a value (it skips
    only those after the `=`), so `spaces` allows them there, for a path that holds one."""
    text = str(value)
    inner = text.replace(" ", "") if spaces and text.strip(" ") == text else text
    if not _PREPROCESS_SAFE.match(inner):
        allowed = "letters, digits, spaces inside and" if spaces else "letters, digits and"
        raise RenderError(
            f"{text!r} cannot be written into vars.xml: FreeSWITCH's pre-processor reads it raw "
            f"(use only {allowed} _ . , : / @ + = * % -)"
        )
    return Built(text)


def dialable(number: str) -> str:
    """A DID or extension, checked again here because the model can be built without validation."""
    if not _DIALABLE.match(number):
        raise RenderError(f"{number!r} is not a dialable number (optional +, then 0-9 * #)")
    return number


def number_regex(number: str) -> Built:
    """An anchored PCRE that matches exactly this number: '+' and '*' are regex metacharacters."""
    escaped = "".join("\\" + ch if ch in "+*#" else ch for ch in dialable(number))
    return Built(f"^{escaped}$")
