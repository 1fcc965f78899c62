"""Who owns a managed file: the pillar's account names resolved on this server when applying."""

from __future__ import annotations

import grp
import pwd

from saltext_sipxha.core.errors import PillarError
from saltext_sipxha.core.files.atomic import Owner


def resolve_owner(user: str, group: str) -> Owner:
    """``(uid, gid)`` of ``user``/``group`` (``sipxha:service:user``/``group``); :class:`PillarError` if missing."""
    try:
        uid = pwd.getpwnam(user).pw_uid
    except KeyError:
        raise PillarError(
            "sipxha:service:user", f"no user {user!r} on this server (the sipX daemons run as it)"
        ) from None
    try:
        gid = grp.getgrnam(group).gr_gid
    except KeyError:
        raise PillarError("sipxha:service:group", f"no group {group!r} on this server (user {user!r})") from None
    return uid, gid
