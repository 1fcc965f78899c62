"""
ext_pillar ``sipxha_rollout``: the server a rolling restart has drained, in the pillar of the whole fleet.

Master configuration (see ``docs/guide/live-fleet.md``):

.. code-block:: yaml

    ext_pillar:
      - sipxha_rollout: {}

While ``salt-run sipxha.rollout`` has a server drained (and after a failed rollout left it drained), every
minion with a ``sipxha:servers`` pillar gets ``sipxha: {rollout: {drained: [<minion id>]}}``, so any
``sipxha.dns`` or highstate run meanwhile (a scheduled one, on any minion, in nsupdate or zone-file mode)
renders DNS with that server left out, as ``maintenance`` does, instead of undraining it. The value comes
from the runner's state file in the master's cache folder only, never from anything a minion sends;
an id not under that minion's ``sipxha:servers`` is not passed on. No server drained: nothing is added.
"""

from __future__ import annotations

import logging
from typing import Any

from saltext_sipxha.core.rollout.drained import read_drained, state_path

log = logging.getLogger(__name__)

__virtualname__ = "sipxha_rollout"


def __virtual__():
    return __virtualname__


def ext_pillar(minion_id: str, pillar: dict[str, Any], *args: Any, **kwargs: Any) -> dict[str, Any]:
    """
    ``{"sipxha": {"rollout": {"drained": [id]}}}`` while a rollout has server ``id`` drained and ``id`` is
    under ``sipxha:servers`` of ``pillar``; else ``{}``. Takes no options (``*args``/``**kwargs``: ignored).
    """
    if args or kwargs:
        log.warning("ext_pillar sipxha_rollout takes no options; ignored: %s %s", args, kwargs)
    drained = read_drained(state_path(__opts__["cachedir"]))
    sipxha = pillar.get("sipxha") if isinstance(pillar, dict) else None
    servers = sipxha.get("servers") if isinstance(sipxha, dict) else None
    if drained is None or not isinstance(servers, dict) or drained not in servers:
        return {}
    return {"sipxha": {"rollout": {"drained": [drained]}}}
