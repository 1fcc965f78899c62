"""The one place where core errors become Salt exceptions, and the pillar becomes a plan."""

from __future__ import annotations

import copy
import functools
from collections.abc import Callable, Mapping, MutableMapping
from typing import Any, TypeVar

import salt.pillar
from salt.exceptions import CommandExecutionError, SaltException

from saltext_sipxha.core.errors import PillarError, SipxhaError
from saltext_sipxha.core.plan.fleet import Fleet, build_plan

F = TypeVar("F", bound=Callable[..., Any])
_PLAN_CACHE = "sipxha.plan"  #: key in ``__context__``: (the sipxha pillar, the Fleet built from it)


def translate(err: SipxhaError) -> CommandExecutionError:
    """The Salt exception for a core error, always a :class:`CommandExecutionError`.

    Not :class:`SaltInvocationError` for a bad pillar: Salt answers that one with "Passed invalid arguments"
    and the function's whole docstring, although the arguments were fine and the pillar key is named.
    """
    if isinstance(err, PillarError):
        return CommandExecutionError(f"Invalid sipxha pillar: {err}")
    return CommandExecutionError(str(err))


def salt_errors(func: F) -> F:
    """Decorate a loader function so core errors surface as Salt exceptions (``from err``)."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except SipxhaError as err:
            raise translate(err) from err

    return wrapper  # type: ignore[return-value]


def fleet_from(pillar: Mapping[str, Any], context: MutableMapping[str, Any] | None = None) -> Fleet:
    """The validated plan from a minion's or master's pillar mapping (``__pillar__``).

    With the loader's ``context`` (``__context__``, shared by the SLS renderer, the execution and the state
    modules of one run) the plan is built once per pillar content: the cache holds a copy of the ``sipxha``
    pillar it was built from and is used only while the pillar is equal to it.
    """
    raw = pillar.get("sipxha")
    if context is None:
        return build_plan(raw)
    cached = context.get(_PLAN_CACHE)
    if cached is not None and cached[0] == raw:
        return cached[1]
    fleet = build_plan(raw)
    context[_PLAN_CACHE] = (copy.deepcopy(raw), fleet)
    return fleet


def run_state(name: str, body: Callable[[dict[str, Any]], Any]) -> dict[str, Any]:
    """The one state ``ret`` skeleton: ``body`` fills it in; a core error, or a Salt error from a call to
    another module (master unreachable, CA refused), becomes ``result: False`` with no changes."""
    ret = {"name": name, "changes": {}, "result": True, "comment": ""}
    try:
        body(ret)
    except SipxhaError as err:
        ret.update(result=False, changes={}, comment=str(translate(err)))
    except SaltException as err:
        ret.update(result=False, changes={}, comment=str(err))
    return ret


def fleet_of_minion(opts: Mapping[str, Any], minion_id: str) -> Fleet:
    """On the master: the plan of ``minion_id``, compiled here from master-side data only.

    The pillar is compiled for ``minion_id`` with the grains ``{"id": minion_id}`` only, never with the
    grains the minion reported: ``grains.setval`` would otherwise steer the plan (the names the CA grants,
    what a rollout restarts) through a pillar that uses grains or grain-targeted pillar top files
    (docs/pki.md, trust model).
    """
    saltenv = opts.get("saltenv") or "base"
    pillar = salt.pillar.Pillar(opts, {"id": minion_id}, minion_id, saltenv).compile_pillar()
    if pillar.get("_errors"):
        raise PillarError("sipxha", f"the master could not compile the pillar of {minion_id}: {pillar['_errors']}")
    return build_plan(pillar.get("sipxha"))
