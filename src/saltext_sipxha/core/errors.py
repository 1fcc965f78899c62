"""The one exception family of the saltext-sipxha core.

Loader modules translate these to Salt exceptions in one place
(:func:`saltext_sipxha.saltbridge.salt_errors`); the core never imports Salt.
"""

from __future__ import annotations


class SipxhaError(Exception):
    """Base of every error the core raises."""


class PillarError(SipxhaError):
    """The ``sipxha`` pillar is malformed; ``key`` is the colon path of the offending key."""

    def __init__(self, key: str, message: str) -> None:
        self.key = key
        self.reason = message
        super().__init__(f"{key}: {message}")


class UnsafeFileError(SipxhaError):
    """A file is malformed, hostile or not what it claims to be; it was left untouched."""

    def __init__(self, path: str, message: str) -> None:
        self.path = path
        self.reason = message
        super().__init__(f"{path}: {message}")


class DnsError(SipxhaError):
    """A DNS server refused, timed out or rejected our key; nothing was half-applied."""


class ZoneChanged(DnsError):
    """An update's prerequisite failed: someone changed the zone between our read and our update."""


class SigningRefused(SipxhaError):
    """The CA refused to sign a request (the caller only sees a generic reason)."""


class PkiError(SipxhaError):
    """A key, certificate or CA could not be created, read or used."""


class NotInstalledError(SipxhaError):
    """Software the plan needs on this server is not installed (its folder or program is missing)."""


class RolloutError(SipxhaError):
    """A rolling restart could not go on (a restart failed, a lock is held); what was done is reported."""
