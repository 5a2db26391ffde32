"""A Django Channels application for ``django-bolt serve channels_app:application``:
``ProtocolTypeRouter`` sends HTTP to Django's ASGI handler and WebSockets through a
``URLRouter`` to consumers (settings: ``channels_settings``)."""

from __future__ import annotations

import os
from urllib.parse import parse_qs

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "channels_settings")

from django.core.asgi import get_asgi_application  # noqa: E402

django_asgi_app = get_asgi_application()

from channels.generic.websocket import (  # noqa: E402
    AsyncJsonWebsocketConsumer,
    AsyncWebsocketConsumer,
)
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.http import JsonResponse  # noqa: E402
from django.urls import path  # noqa: E402

# Close codes the consumers' disconnect() received, by the ?id= of their connection.
CLOSE_CODES: dict[str, int] = {}


def connection_id(scope) -> str | None:
    values = parse_qs(scope["query_string"].decode()).get("id")
    return values[-1] if values else None


class EchoConsumer(AsyncWebsocketConsumer):
    """Echo text and bytes; "close" closes with 4000."""

    async def connect(self):
        await self.accept()

    async def receive(self, text_data=None, bytes_data=None):
        if text_data == "close":
            await self.close(code=4000)
        elif text_data is not None:
            await self.send(text_data=text_data)
        else:
            await self.send(bytes_data=bytes_data)

    async def disconnect(self, code):
        if key := connection_id(self.scope):
            CLOSE_CODES[key] = code


class JsonEchoConsumer(AsyncJsonWebsocketConsumer):
    async def receive_json(self, content, **kwargs):
        await self.send_json({"echo": content, "path": self.scope["path"]})


class RoomConsumer(AsyncJsonWebsocketConsumer):
    """Every member of the group gets what any member sends (channel layer groups)."""

    group = "conformance-room"

    async def connect(self):
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()

    async def disconnect(self, code):
        await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive_json(self, content, **kwargs):
        await self.channel_layer.group_send(
            self.group, {"type": "room.message", "text": content["text"]}
        )

    async def room_message(self, event):
        await self.send_json({"room": event["text"]})


def hello(request):
    return JsonResponse({"hello": "django through channels", "path": request.path})


def close_code(request):
    return JsonResponse({"code": CLOSE_CODES.get(request.GET["id"])})


urlpatterns = [path("hello/", hello), path("close-code/", close_code)]

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": URLRouter(
            [
                path("ws/echo/", EchoConsumer.as_asgi()),
                path("ws/json/", JsonEchoConsumer.as_asgi()),
                path("ws/room/", RoomConsumer.as_asgi()),
            ]
        ),
    }
)
