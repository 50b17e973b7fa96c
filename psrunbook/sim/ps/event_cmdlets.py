"""The event cmdlets over a runspace's event manager (:mod:`.engine_events`); registered
in :data:`psrunbook.sim.ps.builtins.BUILTINS` on import.

Each follows its PowerShell source (src/Microsoft.PowerShell.Commands.Utility/commands/
utility/: RegisterPSEventCommand.cs with ObjectEventRegistrationBase, NewEventCommand.cs,
GetEventCommand.cs, RemoveEventCommand.cs, GetEventSubscriberCommand.cs,
UnregisterEventCommand.cs) and the messages of EventingStrings.resx and
EventingResources.resx. ``-WhatIf``/``-Confirm`` of Remove-Event and Unregister-Event
are not modelled (the common-parameter binder refuses them).
"""

from __future__ import annotations

from typing import Any

from psrunbook.sim.objects import ErrorRecordData, PSHashtable, PSObject
from psrunbook.sim.ps.builtins import BuiltinEvaluator, Emit, builtin
from psrunbook.sim.ps.cmdlet_api import ParamSpec
from psrunbook.sim.ps.engine_events import (
    check_identifier,
    generate_event,
    manager_of,
    refuse_action,
)
from psrunbook.sim.ps.values import (
    ScriptBlockValue,
    as_list,
    contains_wildcards,
    to_bool,
    to_int,
    to_string,
    wildcard_regex,
)


def _argument_error(
    message: str, error_id: str, command: str, category: str = "InvalidArgument"
) -> ErrorRecordData:
    return ErrorRecordData(
        message=message,
        error_id=error_id,
        category=category,
        exception_type="System.ArgumentException",
        command_type=f"Microsoft.PowerShell.Commands.{command}Command",
    )


@builtin(
    "Register-EngineEvent",
    ParamSpec("SourceIdentifier", "string", mandatory=True, position=0),
    ParamSpec("Action", "scriptblock", position=1),
    ParamSpec("MessageData", "psobject"),
    ParamSpec("SupportEvent", "switch"),
    ParamSpec("Forward", "switch"),
    ParamSpec("MaxTriggerCount", "int"),
)
def register_engine_event(
    ev: BuiltinEvaluator, args: PSHashtable, inputs: list[Any] | None, emit: Emit
) -> None:
    """RegisterEngineEventCommand (RegisterPSEventCommand.cs, ObjectEventRegistrationBase):
    ``-Forward`` with ``-Action`` is ACTION_AND_FORWARD_NOT_SUPPORTED, neither is
    ACTION_MANDATORY_FOR_LOCAL, both terminating. The subscriber's MessageData is not
    attached to engine events on Windows either (``ProcessNewSubscriber`` uses it only for
    object events). Positions are 100/101 on Windows, so the first two positional
    arguments bind in that order here too."""
    action = args.get("Action")
    forward = to_bool(args.get("Forward"))
    if forward and action is not None:
        raise ev.fail(
            _argument_error(
                "The action is not supported when you are forwarding events.",
                "ACTION_AND_FORWARD_NOT_SUPPORTED",
                "RegisterEngineEvent",
                "InvalidOperation",
            )
        )
    if action is None and not forward:
        raise ev.fail(
            _argument_error(
                "Action must be specified for non-forwarded events.",
                "ACTION_MANDATORY_FOR_LOCAL",
                "RegisterEngineEvent",
            )
        )
    if isinstance(action, ScriptBlockValue):
        raise refuse_action(ev, ev.statement, "Register-EngineEvent")
    identifier = to_string(args["SourceIdentifier"])
    check_identifier(ev, ev.statement, identifier)
    max_count = to_int(args.get("MaxTriggerCount") or 0)
    manager_of(ev.runspace).subscribe(
        identifier,
        support_event=to_bool(args.get("SupportEvent")),
        forward_event=forward,
        max_trigger_count=max(max_count, 0),
    )


@builtin(
    "New-Event",
    ParamSpec("SourceIdentifier", "string", mandatory=True, position=0),
    ParamSpec("Sender", "psobject", position=1),
    ParamSpec("EventArguments", "object[]", position=2),
    ParamSpec("MessageData", "psobject", position=3),
)
def new_event(
    ev: BuiltinEvaluator, args: PSHashtable, inputs: list[Any] | None, emit: Emit
) -> None:
    """NewEventCommand: generates the event in the current thread and writes it."""
    event_args = args.get("EventArguments")
    emit(
        generate_event(
            ev,
            to_string(args["SourceIdentifier"]),
            args.get("Sender"),
            as_list(event_args) if event_args is not None else [],
            args.get("MessageData"),
        )
    )


def _matcher(identifier: Any) -> Any:
    if identifier is None:
        return None
    return wildcard_regex(to_string(identifier))


@builtin(
    "Get-Event",
    ParamSpec("SourceIdentifier", "string", position=0, from_pipeline_by_property_name=True),
    ParamSpec("EventIdentifier", "int", aliases=("Id",), from_pipeline_by_property_name=True),
)
def get_event(
    ev: BuiltinEvaluator, args: PSHashtable, inputs: list[Any] | None, emit: Emit
) -> None:
    """GetEventCommand: the queued events by source (wildcards) or identifier; a name
    without wildcards or an identifier that finds nothing is INVALID_SOURCE_IDENTIFIER."""
    source = args.get("SourceIdentifier")
    if source is not None and "EventIdentifier" in args:
        raise ev.unsupported(
            ev.statement, "Get-Event with both -SourceIdentifier and -EventIdentifier"
        )
    pattern = _matcher(source)
    event_id = to_int(args["EventIdentifier"]) if "EventIdentifier" in args else -1
    manager = manager_of(ev.runspace)
    with manager.lock:
        events = list(manager.received_events)
    found = False
    for event in events:
        if pattern is not None and not pattern.match(
            to_string(event.properties["SourceIdentifier"])
        ):
            continue
        if event_id >= 0 and event.properties["EventIdentifier"] != event_id:
            continue
        emit(event)
        found = True
    if not found:
        _report_not_found(ev, "Event", source, event_id, "GetEvent")


@builtin(
    "Remove-Event",
    ParamSpec("SourceIdentifier", "string", position=0),
    ParamSpec("EventIdentifier", "int", from_pipeline_by_property_name=True),
)
def remove_event(
    ev: BuiltinEvaluator, args: PSHashtable, inputs: list[Any] | None, emit: Emit
) -> None:
    """RemoveEventCommand: removes the queued events by source (wildcards) or identifier
    (one of them is mandatory on Windows, in two parameter sets)."""
    source = args.get("SourceIdentifier")
    if (source is None) == ("EventIdentifier" not in args):
        raise ev.unsupported(
            ev.statement, "Remove-Event without exactly one of -SourceIdentifier, -EventIdentifier"
        )
    pattern = _matcher(source)
    event_id = to_int(args["EventIdentifier"]) if "EventIdentifier" in args else -1
    matched: list[bool] = []

    def keep(event: PSObject) -> bool:
        if pattern is not None and not pattern.match(
            to_string(event.properties["SourceIdentifier"])
        ):
            return True
        if event_id >= 0 and event.properties["EventIdentifier"] != event_id:
            return True
        matched.append(True)
        return False

    manager_of(ev.runspace).remove_events(keep)
    if matched:
        return
    if source is not None and not contains_wildcards(to_string(source)):
        ev.write_error(
            _argument_error(
                f"Event with source identifier '{to_string(source)}' does not exist.",
                "INVALID_SOURCE_IDENTIFIER",
                "RemoveEvent",
            )
        )
    elif event_id >= 0:
        ev.write_error(
            _argument_error(
                f"Event with identifier '{event_id}' does not exist.",
                "INVALID_EVENT_IDENTIFIER",
                "RemoveEvent",
            )
        )


@builtin(
    "Get-EventSubscriber",
    ParamSpec("SourceIdentifier", "string", position=0, from_pipeline_by_property_name=True),
    ParamSpec("SubscriptionId", "int", aliases=("Id",), from_pipeline_by_property_name=True),
    ParamSpec("Force", "switch"),
)
def get_event_subscriber(
    ev: BuiltinEvaluator, args: PSHashtable, inputs: list[Any] | None, emit: Emit
) -> None:
    """GetEventSubscriberCommand: subscribers by source (wildcards) or id; support
    subscribers (``-SupportEvent``) only with ``-Force``."""
    source = args.get("SourceIdentifier")
    pattern = _matcher(source)
    wanted = to_int(args["SubscriptionId"]) if "SubscriptionId" in args else -1
    manager = manager_of(ev.runspace)
    with manager.lock:
        subscribers = list(manager.subscribers)
    found = False
    for subscriber in subscribers:
        props = subscriber.properties
        if pattern is not None and not pattern.match(to_string(props["SourceIdentifier"])):
            continue
        if wanted >= 0 and props["SubscriptionId"] != wanted:
            continue
        if props["SupportEvent"] and not args.get("Force"):
            continue
        emit(subscriber)
        found = True
    if not found:
        _report_not_found(ev, "Event subscription", source, wanted, "GetEventSubscriber")


@builtin(
    "Unregister-Event",
    ParamSpec("SourceIdentifier", "string", position=0, from_pipeline_by_property_name=True),
    ParamSpec("SubscriptionId", "int", from_pipeline_by_property_name=True),
    ParamSpec("Force", "switch"),
)
def unregister_event(
    ev: BuiltinEvaluator, args: PSHashtable, inputs: list[Any] | None, emit: Emit
) -> None:
    """UnregisterEventCommand: by source (wildcards) or id; support subscribers only with
    ``-Force``. Windows words a missing source as "Event subscription with identifier
    '<source>' does not exist." (EventSubscriptionNotFound), kept here."""
    source = args.get("SourceIdentifier")
    if (source is None) == ("SubscriptionId" not in args):
        raise ev.unsupported(
            ev.statement,
            "Unregister-Event without exactly one of -SourceIdentifier, -SubscriptionId",
        )
    pattern = _matcher(source)
    wanted = to_int(args["SubscriptionId"]) if "SubscriptionId" in args else -1
    manager = manager_of(ev.runspace)
    with manager.lock:
        subscribers = list(manager.subscribers)
    found = False
    for subscriber in subscribers:
        props = subscriber.properties
        if (pattern is not None and pattern.match(to_string(props["SourceIdentifier"]))) or (
            wanted >= 0 and props["SubscriptionId"] == wanted
        ):
            if props["SupportEvent"] and not args.get("Force"):
                continue
            found = True
            manager.unsubscribe(int(props["SubscriptionId"]))
    if found:
        return
    if source is not None and not contains_wildcards(to_string(source)):
        ev.write_error(
            _argument_error(
                f"Event subscription with identifier '{to_string(source)}' does not exist.",
                "INVALID_SOURCE_IDENTIFIER",
                "UnregisterEvent",
            )
        )
    elif wanted >= 0:
        ev.write_error(
            _argument_error(
                f"Event subscription with identifier '{wanted}' does not exist.",
                "INVALID_SUBSCRIPTION_IDENTIFIER",
                "UnregisterEvent",
            )
        )


def _report_not_found(
    ev: BuiltinEvaluator, what: str, source: Any, identifier: int, command: str
) -> None:
    """The INVALID_SOURCE_IDENTIFIER error Get-Event and Get-EventSubscriber write when a
    name without wildcards, or an identifier, finds nothing (a wildcard finds nothing
    silently)."""
    if source is not None and not contains_wildcards(to_string(source)):
        message = f"{what} with source identifier '{to_string(source)}' does not exist."
    elif identifier >= 0:
        message = f"{what} with identifier '{identifier}' does not exist."
    else:
        return
    ev.write_error(_argument_error(message, "INVALID_SOURCE_IDENTIFIER", command))
