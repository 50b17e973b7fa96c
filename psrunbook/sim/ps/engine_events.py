"""PowerShell's engine events: a runspace's ``PSEventManager`` and its .NET methods.

The cmdlets over it (Register-EngineEvent, New-Event, Get-Event, ...) are in
:mod:`psrunbook.sim.ps.event_cmdlets`.

Windows PowerShell keeps one event manager per runspace (``$Host.Runspace.Events``,
``$ExecutionContext.Events``). What is modelled here follows PowerShell's own source,
``src/System.Management.Automation/engine/EventManager.cs`` (``PSLocalEventManager``):

- ``SubscribeEvent(source, eventName, sourceIdentifier, data, action, supportEvent,
  forwardEvent[, maxTriggerCount])`` records a :class:`PSEventSubscriber`; subscription
  ids count from 1 per runspace. Only engine events (``source`` ``$null``) are modelled:
  the lab has no .NET objects raising events, so an object source is refused by name.
- ``GenerateEvent(sourceIdentifier, sender, args, extraData)`` creates a ``PSEventArgs``
  (``CreateEvent``: ComputerName null, the runspace's InstanceId, the next event
  identifier, counted from 1 per runspace) and processes it
  (``ProcessNewEventImplementation``): every subscriber whose SourceIdentifier matches
  (ignoring case) sets the event's ForwardEvent flag in turn, so the last one decides;
  an event that no subscriber handles with an action is forwarded to the client when
  that flag is set (``OnForwardEvent``, which the remote server turns into a USER_EVENT
  message: ``ServerRunspacePoolDriver.HandleRunspacePoolForwardEvent``) and otherwise
  added to the runspace's event queue (``ReceivedEvents``, what Get-Event reads).
- ``-MaxTriggerCount`` / ``maxTriggerCount`` unregisters a subscriber after that many
  events (``AutoUnregisterEventIfNecessary``).

Refused by name, because the lab cannot run them faithfully: script-block actions
(``-Action``, ``SubscribeEvent`` with an action: Windows runs them as PSEventJobs
between the pipeline's statements), object events (``Register-ObjectEvent``, a non-null
source) and the engine's own events ``PowerShell.OnIdle`` / ``PowerShell.Exiting``,
which the lab never raises.

UNVERIFIED: ``GenerateEvent`` without its two extra flags processes the event on a
thread-pool thread on Windows, so the USER_EVENT may reach the client a moment after
the call returns; the lab processes it at once, during the call (New-Event processes it
in the current thread on Windows too). Where nobody listens for forwarded events
(``powershell.exe`` run locally) a forwarded event is dropped, as ``OnForwardEvent``
with no handler drops it.
"""

from __future__ import annotations

import datetime
import threading
import uuid
from typing import TYPE_CHECKING, Any

from psrunbook.sim.executor_protocol import ForwardedEvent
from psrunbook.sim.objects import PSHashtable, PSObject
from psrunbook.sim.ps import records
from psrunbook.sim.ps.values import NOTHING, as_list, to_bool, to_int, to_string

if TYPE_CHECKING:
    from tree_sitter import Node

    from psrunbook.sim.ps.evaluator_api import EvaluatorApi

_AUTOMATION = "System.Management.Automation."
_OBJ = "System.Object"
ENGINE_EVENTS = ("PowerShell.Exiting", "PowerShell.OnIdle")
"""``PSEngineEvent``'s public identifiers; the lab never raises them."""
_RUNSPACE_KEY = "engine_events"
_MANAGERS_LOCK = threading.Lock()


class EventManager:
    """One runspace's event manager: its subscribers and its queue of received events.

    ``subscribers`` and ``received_events`` are the lists ``Subscribers`` and
    ``ReceivedEvents`` show, oldest first; scripts see the same list objects, so a read
    after a change sees the change, as with PowerShell's live collections.
    """

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.runspace_id = uuid.uuid4()
        """The runspace's InstanceId, which every event it creates carries."""
        self.subscribers: list[PSObject] = []
        self.received_events: list[PSObject] = []
        self._next_event_id = 1
        self._next_subscription_id = 1
        self._remaining: dict[int, int] = {}
        """Subscription id -> events left before it unregisters (MaxTriggerCount)."""
        self.object = PSObject(
            (f"{_AUTOMATION}PSLocalEventManager", f"{_AUTOMATION}PSEventManager", _OBJ),
            PSHashtable(
                [("Subscribers", self.subscribers), ("ReceivedEvents", self.received_events)]
            ),
            to_string=f"{_AUTOMATION}PSLocalEventManager",
        )
        """The manager as scripts see it; its methods are :func:`call_method`'s."""

    # -- subscriptions -----------------------------------------------------------------

    def subscribe(
        self,
        source_identifier: str | None,
        *,
        support_event: bool,
        forward_event: bool,
        max_trigger_count: int = 0,
    ) -> PSObject:
        """Record an engine-event subscriber (no action) and return it."""
        with self.lock:
            subscription_id = self._next_subscription_id
            self._next_subscription_id += 1
            subscriber = PSObject(
                (f"{_AUTOMATION}PSEventSubscriber", _OBJ),
                PSHashtable(
                    [
                        ("SubscriptionId", subscription_id),
                        ("SourceObject", None),
                        ("EventName", None),
                        ("SourceIdentifier", source_identifier),
                        ("Action", None),
                        ("HandlerDelegate", None),
                        ("SupportEvent", support_event),
                        ("ForwardEvent", forward_event),
                    ]
                ),
                to_string=f"{_AUTOMATION}PSEventSubscriber",
            )
            self.subscribers.append(subscriber)
            if max_trigger_count > 0:
                self._remaining[subscription_id] = max_trigger_count
            return subscriber

    def unsubscribe(self, subscription_id: int) -> None:
        with self.lock:
            self._unsubscribe(subscription_id)

    def _unsubscribe(self, subscription_id: int) -> None:
        self.subscribers[:] = [
            s for s in self.subscribers if s.properties["SubscriptionId"] != subscription_id
        ]
        self._remaining.pop(subscription_id, None)

    # -- events ------------------------------------------------------------------------

    def generate(
        self,
        source_identifier: str | None,
        sender: Any,
        args: list[Any] | None,
        data: Any,
        moment: datetime.datetime,
    ) -> tuple[PSObject, ForwardedEvent | None]:
        """Create and process an event: the PSEventArgs, and what to forward, if anything.

        An event not forwarded is in :attr:`received_events` when this returns.
        ``moment`` is its TimeGenerated, the node's clock now.
        """
        # builtins imports members, which calls into this module: import it when used.
        from psrunbook.sim.ps.builtins import date_object  # noqa: PLC0415

        with self.lock:
            event_id = self._next_event_id
            self._next_event_id += 1
            forward = False
            expired: list[int] = []
            for subscriber in self.subscribers:
                if to_string(subscriber.properties["SourceIdentifier"]).casefold() != (
                    (source_identifier or "").casefold()
                ):
                    continue
                sub_id = int(subscriber.properties["SubscriptionId"])
                forward = bool(subscriber.properties["ForwardEvent"])
                if sub_id in self._remaining:
                    self._remaining[sub_id] -= 1
                    if self._remaining[sub_id] <= 0:
                        expired.append(sub_id)
            for sub_id in expired:
                self._unsubscribe(sub_id)
            event = PSObject(
                (f"{_AUTOMATION}PSEventArgs", "System.EventArgs", _OBJ),
                PSHashtable(
                    [
                        ("ComputerName", None),
                        ("RunspaceId", self.runspace_id),
                        ("EventIdentifier", event_id),
                        ("Sender", sender),
                        ("SourceEventArgs", None),
                        ("SourceArgs", args),
                        ("SourceIdentifier", source_identifier),
                        ("TimeGenerated", date_object(moment)),
                        ("MessageData", data),
                    ]
                ),
                to_string=f"{_AUTOMATION}PSEventArgs",
            )
            if not forward:
                self.received_events.append(event)
                return event, None
        return event, ForwardedEvent(
            event_identifier=event_id,
            source_identifier=source_identifier,
            time_generated=moment,
            sender=sender,
            source_args=tuple(args) if args is not None else None,
            message_data=data,
            computer_name=None,
            runspace_id=self.runspace_id,
        )

    def remove_events(self, keep: Any) -> None:
        """Keep only the queued events ``keep(event)`` says to keep."""
        with self.lock:
            self.received_events[:] = [e for e in self.received_events if keep(e)]


def manager_of(runspace: dict[str, Any]) -> EventManager:
    """The event manager of the runspace whose shared state is ``runspace``."""
    # Not the runspace's own lock: the evaluator holds it while it creates the runspace.
    with _MANAGERS_LOCK:
        manager = runspace.get(_RUNSPACE_KEY)
        if manager is None:
            manager = runspace[_RUNSPACE_KEY] = EventManager()
        return manager


def runspace_object(manager: EventManager) -> PSObject:
    """``$Host.Runspace``: the LocalRunspace a remote pipeline runs in.

    ServerRemoteHost implements IHostSupportsInteractiveSession, whose ``Runspace`` is
    that runspace (PowerShell's ServerRemoteHost.cs); pypsrp 1.0's
    ``test_runspace_user_event`` reads ``$Host.Runspace.Events`` against Windows. Only
    ``Events`` and ``InstanceId`` are modelled (UNVERIFIED: the rest of the Runspace).
    """
    name = "System.Management.Automation.Runspaces."
    return PSObject(
        (f"{name}LocalRunspace", f"{name}RunspaceBase", f"{name}Runspace", _OBJ),
        PSHashtable([("InstanceId", manager.runspace_id), ("Events", manager.object)]),
        to_string=f"{name}LocalRunspace",
    )


def is_event_manager(value: Any) -> bool:
    return (
        isinstance(value, PSObject)
        and bool(value.type_names)
        and (value.type_names[0] == f"{_AUTOMATION}PSLocalEventManager")
    )


# ------------------------------------------------------------------ .NET methods


def refuse_action(ev: EvaluatorApi, node: Node | None, what: str) -> Exception:
    return ev.unsupported(
        node,
        f"{what} with a script-block action (Windows runs it as a PSEventJob between the "
        "pipeline's statements; the lab does not model event actions)",
    )


def check_identifier(ev: EvaluatorApi, node: Node | None, identifier: str) -> None:
    if any(identifier.casefold() == e.casefold() for e in ENGINE_EVENTS):
        raise ev.unsupported(
            node, f"a subscription to the engine event '{identifier}' (the lab never raises it)"
        )


def _method_arguments_error(ev: EvaluatorApi, name: str, count: int) -> Exception:
    return ev.fail(records.overload_not_found(name, count))


def call_method(
    ev: EvaluatorApi, target: PSObject, name: str, args: list[Any], node: Node | None
) -> Any:
    """A method of ``$Host.Runspace.Events``; anything else is refused as unsupported."""
    manager = manager_of(ev.runspace)
    folded = name.casefold()
    if folded == "subscribeevent":
        if len(args) not in (7, 8):
            raise _method_arguments_error(ev, name, len(args))
        source, _event_name, identifier, _data, action, support, forward = args[:7]
        if source is not None:
            raise ev.unsupported(node, "SubscribeEvent() on an object (the lab has no .NET events)")
        if action is not None:
            raise refuse_action(ev, node, "SubscribeEvent()")
        source_identifier = None if identifier is None else to_string(identifier)
        if source_identifier is not None:
            check_identifier(ev, node, source_identifier)
        return manager.subscribe(
            source_identifier,
            support_event=to_bool(support),
            forward_event=to_bool(forward),
            max_trigger_count=to_int(args[7]) if len(args) == 8 else 0,
        )
    if folded == "generateevent":
        if len(args) not in (4, 6):
            raise _method_arguments_error(ev, name, len(args))
        identifier, sender, event_args, data = args[:4]
        return generate_event(
            ev,
            None if identifier is None else to_string(identifier),
            sender,
            None if event_args is None else as_list(event_args),
            data,
        )
    if folded == "geteventsubscribers" and len(args) == 1:
        wanted = to_string(args[0]).casefold()
        return [
            s
            for s in list(manager.subscribers)
            if to_string(s.properties["SourceIdentifier"]).casefold() == wanted
        ]
    if folded == "unsubscribeevent" and len(args) == 1:
        subscriber = args[0]
        if subscriber is None:
            raise ev.runtime_fail(
                'Exception calling "UnsubscribeEvent" with "1" argument(s): "Value cannot be '
                'null.\r\nParameter name: subscriber"',
                "ArgumentNullException",
                "NotSpecified",
                exception_type=f"{_AUTOMATION}MethodInvocationException",
            )
        if isinstance(subscriber, PSObject) and "SubscriptionId" in subscriber.properties:
            manager.unsubscribe(int(subscriber.properties["SubscriptionId"]))
            return NOTHING
    raise ev.unsupported(node, f"method call .{name}() on the event manager")


def generate_event(
    ev: EvaluatorApi,
    identifier: str | None,
    sender: Any,
    args: list[Any] | None,
    data: Any,
) -> PSObject:
    """Create and process an event in ``ev``'s runspace; a forwarded one goes to the
    client at once (see the module's UNVERIFIED note on timing)."""
    event, forwarded = manager_of(ev.runspace).generate(identifier, sender, args, data, ev.now())
    if forwarded is not None:
        ev.forward_event(forwarded)
    return event
