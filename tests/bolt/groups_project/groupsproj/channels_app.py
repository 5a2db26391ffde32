"""A Django Channels application (``runbolt --asgi groupsproj.channels_app:application``):
a room consumer whose group lives in the ``channels_redis`` layer of the settings."""

from __future__ import annotations

from channels.generic.websocket import AsyncJsonWebsocketConsumer
from channels.routing import ProtocolTypeRouter, URLRouter
from django.core.asgi import get_asgi_application
from django.urls import path

django_asgi_app = get_asgi_application()


class RoomConsumer(AsyncJsonWebsocketConsumer):
    """What a member sends reaches every member of ``room``, on any process."""

    group = "channels-room"

    async def connect(self):
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        await self.send_json({"joined": self.group})

    async def disconnect(self, code):
        await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive_json(self, content, **kwargs):
        await self.channel_layer.group_send(
            self.group, {"type": "room.message", "text": content["text"]}
        )

    async def room_message(self, event):
        await self.send_json({"room": event["text"]})


application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": URLRouter([path("ws/room/", RoomConsumer.as_asgi())]),
    }
)
