"""The `.env.local` file: read with python-dotenv's parser, the format the Python ecosystem
shares, and rewritten in place for a rotation with every other byte kept.

Pages followed: github.com/theskumar/python-dotenv (README "File format"; `dotenv.parser`).
What opwire adds around the parser: the file must be a small UTF-8 text file (a BOM, UTF-16,
NUL bytes, a directory: one line naming the file), every line must be `NAME=value` (the line is
named by number, never shown), and nothing is interpolated: a credential holding `$` means
itself (`dotenv_values` would expand `${...}` in it).
"""

from __future__ import annotations

import io
import os
import re
import stat
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from dotenv.parser import Binding, parse_stream

from opwire.errors import ConfigError

ENV_FILE_MAX = 1 << 20  # a dotenv file is a few kB; anything near this is the wrong file
# Not bytes a text editor writes into a dotenv file: each is named in the error.
_ENCODING_MARKS = (
    (b"\xef\xbb\xbf", "starts with a UTF-8 byte-order mark: save it as plain UTF-8 (no BOM)"),
    (b"\xff\xfe", "is UTF-16 text: save it as UTF-8"),
    (b"\xfe\xff", "is UTF-16 text: save it as UTF-8"),
)
_QUOTED = re.compile(r"^\s*(?:export\s+)?[A-Za-z_][A-Za-z0-9_.]*\s*=\s*['\"]")
_HEAD = re.compile(r"[ \t]*(?:export[ \t]+)?[A-Za-z_][A-Za-z0-9_.]*[ \t]*=[ \t]*")
_COMMENT = re.compile(r"[ \t]+#[^\n]*$")
# A value written unquoted when it is made of these only; anything else is single-quoted.
_PLAIN = re.compile(r"[A-Za-z0-9_./:@+=,~%-]*")


@dataclass(frozen=True, slots=True)
class Line:
    """One binding of the file: its text as written (`original`, comments and blank lines
    before it included), its name and value (None for a comment or blank run), and the line
    number its name is on."""

    original: str
    name: str | None
    value: str | None
    number: int


def read_env_file(path: Path, *, explicit: bool = False) -> dict[str, str]:
    """A dotenv file's variables. A missing default file is empty; a missing named one, or
    anything that is not a small UTF-8 text file of NAME=value lines, is an error naming the
    file (and line) and what is wrong (the content is never shown)."""
    text = env_text(path, explicit)
    return {
        line.name: line.value
        for line in parse(text, path)
        if line.name is not None and line.value is not None
    }


def parse(text: str, path: Path) -> list[Line]:
    """The file as lines; joined, their `original`s are the text again, byte for byte."""
    lines = []
    for binding in parse_stream(io.StringIO(text)):
        number = _number(binding)
        if binding.error or (binding.key is not None and binding.value is None):
            raise ConfigError(f"{path}:{number}: {_what_is_wrong(binding)} (the line is not shown)")
        lines.append(Line(binding.original.string, binding.key, binding.value, number))
    return lines


def _number(binding: Binding) -> int:
    """The line the name is on (the parser counts from the blank lines before it)."""
    original = binding.original.string
    return binding.original.line + len(original) - len(original.lstrip("\r\n").lstrip("\n"))


def _what_is_wrong(binding: Binding) -> str:
    if _QUOTED.match(binding.original.string):
        return "a quoted value must end with its quote, then only a # comment"
    return "expected NAME=value"


def env_text(path: Path, explicit: bool = False) -> str:
    """The file's text; a missing default file is empty."""
    where = f"{path} (--env-file or OPERATOR_WIRING_ENV_FILE)" if explicit else str(path)
    try:
        info = path.stat()
    except FileNotFoundError:
        if explicit:
            raise ConfigError(f"{where}: no such file") from None
        return ""
    except OSError as exc:
        raise ConfigError(f"{where}: cannot be read ({exc.strerror})") from None
    if str(path) == os.devnull:
        return ""
    if not stat.S_ISREG(info.st_mode):
        kind = "a directory" if stat.S_ISDIR(info.st_mode) else "not a regular file"
        raise ConfigError(f"{where} is {kind}: name a dotenv file (NAME=value lines)")
    if info.st_size > ENV_FILE_MAX:
        raise ConfigError(f"{where} is {info.st_size} bytes: not a dotenv file")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{where}: cannot be read ({exc.strerror})") from None
    return _decoded(data, where)


def _decoded(data: bytes, where: str) -> str:
    problem = next((why for mark, why in _ENCODING_MARKS if data.startswith(mark)), None)
    if problem is None and b"\0" in data:
        problem = "holds NUL bytes: it is not a text file"
    if problem is None:
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError as exc:
            problem = (
                f"is not UTF-8 (byte {exc.start + 1}; latin-1 or another legacy encoding?): "
                "save it as UTF-8"
            )
    raise ConfigError(f"{where} {problem}")


def quoted(value: str) -> str:
    """A value as a dotenv line carries it: plain when it is plain, else single-quoted (the
    parser reads `\\'` and `\\\\` back inside single quotes)."""
    if _PLAIN.fullmatch(value):
        return value
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def rewritten(
    text: str, path: Path, changes: Mapping[str, str | None], after: Mapping[str, str] = {}
) -> str:
    """`text` with each variable of `changes` set in place (None: its line removed). A name not
    in the file yet goes right under the line of `after[name]` (`X_PREVIOUS` under `X`), else at
    the end. Every other line is kept byte for byte; the result is parsed again and checked."""
    lines = parse(text, path)
    present = {line.name for line in lines if line.name}
    under: dict[str, list[str]] = {}
    for name, anchor in after.items():
        if name not in present and anchor in present:
            under.setdefault(anchor, []).append(name)
    # The last line of a name is the one that counts (python-dotenv: the last wins); it is
    # the one set in place, and the anchor of what goes under it.
    last = {line.name: index for index, line in enumerate(lines) if line.name}
    out: list[str] = []
    for index, line in enumerate(lines):
        final = line.name is not None and last[line.name] == index
        if line.name is None or line.name not in changes:
            out.append(line.original)
        elif (value := changes[line.name]) is not None:
            out.append(_replaced(line, value, path) if final else line.original)
        if out and not out[-1].endswith("\n"):
            out[-1] += "\n"
        if final:
            out.extend(_set(name, changes[name]) for name in under.get(line.name or "", []))
    placed = present | {name for names in under.values() for name in names}
    out.extend(_set(name, value) for name, value in changes.items() if name not in placed)
    result = "".join(out)
    _check_round_trip(result, path, changes, read_env_values(text, path))
    return result


def _replaced(line: Line, value: str, path: Path) -> str:
    """The line with its value replaced: blank lines before it, `export` and a trailing
    `# comment` kept."""
    original = line.original
    blank = original[: len(original) - len(original.lstrip("\r\n"))]
    head = _HEAD.match(original[len(blank) :])
    prefix = head.group(0) if head else f"{line.name}="
    body = original.rstrip("\r\n")
    comment = _COMMENT.search(body)
    tail = ""
    if comment and read_env_values(body[: comment.start()] + "\n", path).get(line.name or "") == (
        line.value
    ):
        tail = comment.group(0)
    return f"{blank}{prefix}{quoted(value)}{tail}\n"


def _set(name: str, value: str | None) -> str:
    return "" if value is None else f"{name}={quoted(value)}\n"


def read_env_values(text: str, path: Path) -> dict[str, str]:
    return {ln.name: ln.value for ln in parse(text, path) if ln.name and ln.value is not None}


def _check_round_trip(
    result: str, path: Path, changes: Mapping[str, str | None], before: Mapping[str, str]
) -> None:
    """The rewritten text must read back as the old variables with exactly the changes."""
    wanted = {**before, **changes}
    expected = {k: v for k, v in wanted.items() if v is not None}
    if read_env_values(result, path) != expected:
        raise ConfigError(f"{path}: the rewrite would not read back as intended; nothing written")
