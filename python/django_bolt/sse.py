"""Server-Sent Events.

``EventSourceResponse(generator)`` frames what the generator yields as events (a
``ServerSentEvent`` as given, ``str`` as its text, anything else as JSON) and sends a
``: ping`` comment whenever it has yielded nothing for ``ping_interval`` seconds, so
proxies keep the connection open. A route may instead be the generator itself:
``@api.get("/events", response_class=EventSourceResponse)``. When the client goes
away the generator is closed (its ``finally`` runs). The browser's reconnection sends
``Last-Event-ID``, which a handler reads as a header parameter::

    @api.get("/events", response_class=EventSourceResponse)
    async def events(last_event_id: Annotated[str | None, Header(alias="last-event-id")] = None):
        start = int(last_event_id or 0) + 1
        for n in range(start, start + 3):
            yield ServerSentEvent({"n": n}, id=n, retry=5000)

``event(...)`` and ``format_sse_event(...)`` build one event's text and bytes, for a
``StreamingResponse(..., media_type="text/event-stream")`` of your own. Responses of
this media type are never compressed (compression would hold events back).
"""

from ._event_stream import ServerSentEvent, event, format_sse_event
from .responses import EventSourceResponse

__all__ = ["EventSourceResponse", "ServerSentEvent", "event", "format_sse_event"]
