"""The one place where core errors become Salt exceptions, and the pillar becomes a plan."""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from salt.exceptions import CommandExecutionError, SaltException, SaltInvocationError

from saltext_sipxha.core.errors import PillarError, SipxhaError
from saltext_sipxha.core.plan.fleet import Fleet, build_plan

F = TypeVar("F", bound=Callable[..., Any])


def translate(err: SipxhaError) -> Exception:
    """The Salt exception for a core error: bad input is an invocation error, the rest execution errors."""
    if isinstance(err, PillarError):
        return SaltInvocationError(f"Invalid sipxha pillar: {err}")
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


def fleet_from(pillar: Mapping[str, Any]) -> Fleet:
    """The validated plan from a minion's or master's pillar mapping (``__pillar__``)."""
    return build_plan(pillar.get("sipxha"))


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
