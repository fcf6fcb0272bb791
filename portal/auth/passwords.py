"""Password rules beyond Flask-Security's length check (OWASP ASVS 2.1.7).

The checks are plain functions over plain values. `PortalPasswordUtil` runs them wherever a
password is set (activation, reset, change, `flask create-staff`) and turns what they find
into one translated message per problem. No composition rules: any 12-128 characters pass
unless the password is common, personal or trivial.
"""

from __future__ import annotations

import gzip
import re
import unicodedata
from collections.abc import Iterable, Iterator
from functools import cache
from importlib.resources import files
from typing import Any

from flask_babel import gettext as _
from flask_security import PasswordUtil

MAX_LENGTH = 128  # Flask-Security's fixed upper limit
MIN_OWN_CHARS = 4  # characters a password needs outside repeats and sequences
MAX_WEAK_AFFIX = 6  # "password" plus this many digits or symbols still counts as common
MIN_PERSONAL_PART = 3  # shorter names and address parts are ignored
ANYWHERE_PART = 5  # shorter ones count only at the start of a word

# Runs of three or more characters from these, forwards or backwards, are sequences.
_SEQUENCES = (
    "01234567890123456789",  # digits, wrapping from 9 to 0
    "abcdefghijklmnopqrstuvwxyzåäö",
    "qwertyuiopasdfghjklzxcvbnm",  # keyboard rows, one after another
    "qwertyuiopåasdfghjklöäzxcvbnm",  # the Finnish rows
    "!@#$%^&*()",
    '!"#¤%&/()=',  # shifted number row, Finnish
)
_REFERENCES = _SEQUENCES + tuple(s[::-1] for s in _SEQUENCES)
_LEET = str.maketrans({"@": "a", "4": "a", "3": "e", "1": "i", "!": "i", "0": "o",
                       "$": "s", "5": "s", "7": "t"})
_NOT_WORD = re.compile(r"[\W_]+")
_PART_SPLIT = re.compile(r"[^\w]+|_")


@cache
def common_passwords() -> frozenset[str]:
    """The bundled list of common passwords (lowercase), read once."""
    raw = (files("portal") / "data" / "common-passwords.txt.gz").read_bytes()
    lines = gzip.decompress(raw).decode("utf-8").splitlines()
    return frozenset(line for line in lines if line and not line.startswith("#"))


def _fold(text: str) -> str:
    """Case-folded, in composed form: for repeats and sequences (å stays å)."""
    return unicodedata.normalize("NFKC", text).casefold()


def _plain(text: str) -> str:
    """Case-folded without accents, so 'Meikäläinen' matches 'meikalainen'."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _squeeze(text: str) -> str:
    """The text without spaces and punctuation."""
    return _NOT_WORD.sub("", text)


def _cores(text: str) -> Iterator[tuple[str, str]]:
    """Every way to cut digits and symbols off the ends: (what is left, what was cut)."""
    n = len(text)
    lead = next((i for i, c in enumerate(text) if c.isalpha()), n)
    if lead == n:
        yield text, ""
        return
    trail = next(i for i, c in enumerate(reversed(text)) if c.isalpha())
    for i in range(lead + 1):
        for j in range(trail + 1):
            yield text[i:n - j], text[:i] + text[n - j:]


def is_common(password: str) -> bool:
    """True for a common password, also with a few digits or symbols before or after it."""
    words = common_passwords()
    for core, cut in _cores(_plain(password)):
        leet = core.translate(_LEET)
        if {core, leet, _squeeze(core), _squeeze(leet)} & words:
            if len(cut) <= MAX_WEAK_AFFIX or is_trivial(cut):
                return True
    return False


def personal_parts(emails: Iterable[str | None] = (), names: Iterable[str | None] = ()) -> set[str]:
    """What a password must not contain: each address, its local part and its pieces, each name."""
    parts: set[str] = set()
    for email in emails:
        if isinstance(email, str) and email.strip():
            local = email.strip().rsplit("@", 1)[0]
            parts |= {email.strip(), local, *_PART_SPLIT.split(local)}
    for name in names:
        if isinstance(name, str):
            parts |= {name.strip(), *_PART_SPLIT.split(name)}
    folded = {_plain(p) for p in parts}
    return {p for p in folded if len(p) >= MIN_PERSONAL_PART}


def contains_personal_info(password: str, parts: Iterable[str]) -> bool:
    """True if the password contains any of `parts` (case and accents ignored).

    Parts shorter than `ANYWHERE_PART` count only at the start of a word, so that 'Anna'
    is found in 'Annalle2026' but not in 'rannalla'.
    """
    text = _plain(password)
    squeezed = _squeeze(text)
    for part in parts:
        plain = _plain(part)
        if len(plain) < MIN_PERSONAL_PART:
            continue
        if len(plain) < ANYWHERE_PART:
            if re.search(r"(?<![^\W\d_])" + re.escape(plain), text):
                return True
        elif plain in text or (len(_squeeze(plain)) >= ANYWHERE_PART and _squeeze(plain) in squeezed):
            return True
    return False


def _mark_repeats(text: str, covered: list[bool]) -> None:
    """Mark runs like 'aaaa', 'abab' or 'word word' (a unit typed again right after itself)."""
    n = len(text)
    for k in range(1, n // 2 + 1):
        streak = 0
        for p in range(k, n + 1):
            if p < n and text[p] == text[p - k]:
                streak += 1
                continue
            if streak >= max(2, k - 1):
                covered[p - streak - k:p] = [True] * (streak + k)
            streak = 0


def _mark_sequences(text: str, covered: list[bool]) -> None:
    """Mark runs of three or more like 'abcd', '4321' or 'qwerty'."""
    n = len(text)
    for i in range(n):
        j = i + 1
        while j < n and any(text[i:j + 1] in ref for ref in _REFERENCES):
            j += 1
        if j - i >= 3:
            covered[i:j] = [True] * (j - i)


def is_trivial(password: str) -> bool:
    """True if almost all of the password is repeated characters or sequences."""
    text = _fold(password)
    covered = [False] * len(text)
    _mark_repeats(text, covered)
    _mark_sequences(text, covered)
    return covered.count(False) < MIN_OWN_CHARS


def _identity(kwargs: dict[str, Any]) -> set[str]:
    """The personal parts from what Flask-Security or our code passes to `validate`.

    Change and reset pass `user=`; registration passes the form's user fields (`email=`...);
    `flask create-staff` passes `email=`.
    """
    emails = [kwargs.get("email")]
    names = [kwargs.get("first_name"), kwargs.get("last_name"), kwargs.get("username")]
    user = kwargs.get("user")
    if user is not None:
        emails.append(getattr(user, "email", None))
        customer = getattr(user, "customer", None)
        if customer is not None:
            emails.append(customer.email)
            names += [customer.first_name, customer.last_name]
    return personal_parts(emails, names)


class PortalPasswordUtil(PasswordUtil):
    """Flask-Security's password checks, used at set, reset and change."""

    def validate(self, password: str, is_register: bool, **kwargs: Any) -> tuple[list | None, str]:
        """Flask-Security's length check, then ours: return (messages or None, normalized)."""
        normalized = self.normalize(password)
        if len(normalized) > MAX_LENGTH:
            # Flask-Security would say "at least 12 characters" here too.
            return [_("Your password can be at most %(n)d characters long.", n=MAX_LENGTH)], normalized
        problems, normalized = super().validate(password, is_register, **kwargs)
        if problems:
            return problems, normalized
        found = []
        if is_common(normalized):
            found.append(_("This password is too common and easy to guess. "
                           "Choose a longer phrase of your own."))
        if contains_personal_info(normalized, _identity(kwargs)):
            found.append(_("Don't use your name or email address in your password."))
        if is_trivial(normalized):
            found.append(_("Avoid repeated characters and sequences like aaaa, 1234 or qwerty."))
        return found or None, normalized
