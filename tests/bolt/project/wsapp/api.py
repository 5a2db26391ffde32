"""WebSocket routes for tests/bolt/test_websocket_routes.py: the spec's two examples as
written, and one route per behaviour the tests check."""

import asyncio

from django_bolt import BoltAPI, WebSocket, WebSocketDisconnect

api = BoltAPI()

#: Messages the `/ws/tracked` handler's `finally` recorded, by connection id.
finished: dict[str, list[str]] = {}


@api.websocket("/ws/echo")
async def echo(websocket: WebSocket):
    await websocket.accept()
    try:
        async for message in websocket.iter_text():
            await websocket.send_text(f"Echo: {message}")
    except WebSocketDisconnect:
        pass


@api.websocket("/ws/chat")
async def chat(websocket: WebSocket, room: str):
    await websocket.accept()
    try:
        while True:
            data = await websocket.receive_json()
            response = {"room": room, "user": data.get("user"), "text": data.get("text")}
            await websocket.send_json(response)
    except WebSocketDisconnect:
        pass


@api.websocket("/ws/items/{item_id}")
async def describe_connection(websocket: WebSocket, item_id: int, page: int = 1):
    await websocket.accept()
    await websocket.send_json(
        {
            "item_id": item_id,
            "page": page,
            "path_params": websocket.path_params,
            "query_params": websocket.query_params,
            "path": websocket.path,
            "url": websocket.url,
            "client_port_is_int": isinstance(websocket.client[1], int),
            "token": websocket.headers.get("x-token"),
            "cookies": websocket.cookies,
        }
    )
    await websocket.close()


@api.websocket("/ws/protocols")
async def protocols(websocket: WebSocket):
    chosen = websocket.subprotocols[0] if websocket.subprotocols else None
    await websocket.accept(subprotocol=chosen, headers=[("X-Served-By", "bolt")])
    await websocket.send_text(f"offered: {','.join(websocket.subprotocols)}")


@api.websocket("/ws/bytes")
async def bytes_echo(websocket: WebSocket):
    await websocket.accept()
    async for data in websocket.iter_bytes():
        await websocket.send_bytes(data[::-1])


@api.websocket("/ws/json")
async def json_echo(websocket: WebSocket):
    await websocket.accept()
    async for value in websocket.iter_json():
        await websocket.send_json({"got": value}, mode="binary")


@api.websocket("/ws/fail")
async def fail(websocket: WebSocket):
    await websocket.accept()
    await websocket.receive_text()
    raise RuntimeError("the handler broke")


@api.websocket("/ws/broken")
async def broken(websocket: WebSocket):
    raise RuntimeError("broken before accepting")


@api.websocket("/ws/refuse")
async def refuse(websocket: WebSocket):
    pass  # never accepts: the handshake is answered 403


@api.websocket("/ws/bye")
async def bye(websocket: WebSocket):
    await websocket.accept()
    await websocket.send_text("closing")
    await websocket.close(4001, "bye for now")


@api.websocket("/ws/bad-close")
async def bad_close(websocket: WebSocket):
    await websocket.accept()
    await websocket.close(1005)  # reserved: a ValueError, so the server closes with 1011


@api.websocket("/ws/done")
async def done(websocket: WebSocket):
    await websocket.accept()
    await websocket.send_text("done")  # returns without close: closed with 1000


@api.websocket("/ws/tracked/{conn_id}")
async def tracked(websocket: WebSocket, conn_id: str):
    await websocket.accept()
    seen: list[str] = []
    try:
        while True:
            seen.append(await websocket.receive_text())
            await websocket.send_text("ok")
    finally:
        await asyncio.sleep(0)  # cleanup may await
        finished[conn_id] = seen


@api.websocket("/ws/ticker/{conn_id}")
async def ticker(websocket: WebSocket, conn_id: str):
    await websocket.accept()
    try:
        while True:
            await websocket.send_text("tick")
            await asyncio.sleep(0.01)
    except WebSocketDisconnect as exc:
        finished[conn_id] = [f"send raised {exc.code}"]


@api.get("/ws/tracked/{conn_id}")
async def tracked_result(conn_id: str):
    return {"finished": finished.get(conn_id)}
