"""The project's Django app for HTTP, plus a WebSocket echo of its own: what a project
with Channels-style consumers beside Bolt WebSocket routes looks like."""

from django.core.asgi import get_asgi_application

django_app = get_asgi_application()


async def application(scope, receive, send):
    if scope["type"] != "websocket":
        return await django_app(scope, receive, send)
    await receive()  # websocket.connect
    await send({"type": "websocket.accept"})
    while True:
        message = await receive()
        if message["type"] == "websocket.disconnect":
            return
        await send({"type": "websocket.send", "text": f"asgi: {message.get('text')}"})
