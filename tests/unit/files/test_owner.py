"""resolve_owner: the pillar's sipX account on this server, or a pillar error naming the key."""

from __future__ import annotations

import grp
import os
import pwd

import pytest

from saltext_sipxha.core.errors import PillarError
from saltext_sipxha.core.files.owner import resolve_owner


def test_an_existing_account_resolves_to_its_ids():
    user, group = pwd.getpwuid(os.getuid()).pw_name, grp.getgrgid(os.getgid()).gr_name
    assert resolve_owner(user, group) == (os.getuid(), os.getgid())


def test_the_default_sipx_account_exists_in_the_tests(sipx_user):
    assert resolve_owner(sipx_user, sipx_user)[0] == pwd.getpwnam(sipx_user).pw_uid


@pytest.mark.parametrize(
    ("user", "group", "key"), [("no-such-sipx", "root", "user"), ("root", "no-such-sipx", "group")]
)
def test_a_missing_account_names_the_pillar_key(user, group, key):
    with pytest.raises(PillarError) as caught:
        resolve_owner(user, group)
    assert caught.value.key == f"sipxha:service:{key}"
