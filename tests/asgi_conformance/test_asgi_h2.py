"""HTTP/2 rules the server owns, probed with the ``h2`` library or at the frame level,
beyond what h2spec checks: the client's SETTINGS applied to an ASGI response, malformed
request heads refused per stream (the app never called, the connection still usable),
and the graceful shutdown's GOAWAY with several streams in flight."""

from __future__ import annotations

import signal
import time
import uuid

import h2.config
import h2.connection
import h2.errors
import h2.events
import h2.settings
import httpx
import pytest
import support

WINDOW = 16384
MAX_STREAM_ID = 2**31 - 1


def state(server, key: str):
    return httpx.get(f"{server.base_url}/state", params={"id": key}, timeout=5).json()["state"]


class RawClient:
    """``h2`` without the conveniences of support.H2Connection: it never gives flow
    control credit back by itself, and can send headers ``h2`` would refuse."""

    def __init__(self, address, *, strict: bool = True) -> None:
        self.sock = support.connect(address)
        self.conn = h2.connection.H2Connection(
            h2.config.H2Configuration(
                client_side=True,
                header_encoding="utf-8",
                validate_outbound_headers=strict,
                normalize_outbound_headers=strict,
            )
        )
        self.conn.initiate_connection()
        self.flush()
        self.events: list[h2.events.Event] = []

    def flush(self) -> None:
        if data := self.conn.data_to_send():
            self.sock.sendall(data)

    def pump(self, timeout: float = 5.0) -> bool:
        """Read once; False on timeout or when the server closed the connection."""
        self.sock.settimeout(timeout)
        try:
            data = self.sock.recv(65536)
        except TimeoutError:
            return False
        if not data:
            return False
        self.events.extend(self.conn.receive_data(data))
        self.flush()
        return True

    def pump_until(self, predicate, timeout: float = 5.0) -> bool:
        deadline = time.monotonic() + timeout
        while not predicate():
            left = deadline - time.monotonic()
            if left <= 0 or not self.pump(left):
                return bool(predicate())
        return True

    def of(self, kind, stream_id: int | None = None) -> list:
        return [
            e
            for e in self.events
            if isinstance(e, kind) and (stream_id is None or e.stream_id == stream_id)
        ]

    def received(self, stream_id: int) -> bytes:
        return b"".join(e.data for e in self.of(h2.events.DataReceived, stream_id))

    def close(self) -> None:
        self.sock.close()


def test_settings_are_acknowledged_and_the_initial_window_is_honoured(server):
    """SETTINGS sent mid-connection are acknowledged, and the new stream window bounds an
    ASGI streamed response until the client gives credit back (RFC 9113 6.5.3, 6.9.2)."""
    client = RawClient(server.address)
    try:
        assert client.pump_until(lambda: client.of(h2.events.SettingsAcknowledged))
        client.conn.update_settings({h2.settings.SettingCodes.INITIAL_WINDOW_SIZE: WINDOW})
        client.flush()
        assert client.pump_until(
            lambda: any(
                h2.settings.SettingCodes.INITIAL_WINDOW_SIZE in e.changed_settings
                for e in client.of(h2.events.SettingsAcknowledged)
            )
        ), "our SETTINGS were never acknowledged"

        stream_id = client.conn.get_next_available_stream_id()
        authority = f"{server.host}:{server.port}"
        client.conn.send_headers(
            stream_id,
            [
                (":method", "GET"),
                (":scheme", "http"),
                (":authority", authority),
                (":path", "/stream?chunks=4&size=16384"),
            ],
            end_stream=True,
        )
        client.flush()
        # ``h2`` raises FlowControlError should the server overrun the window.
        while client.pump(timeout=0.5):
            pass
        assert len(client.received(stream_id)) == WINDOW, "not exactly one window of data"
        assert not client.of(h2.events.StreamEnded, stream_id)

        client.conn.increment_flow_control_window(4 * WINDOW, stream_id)
        client.conn.increment_flow_control_window(4 * WINDOW)
        client.flush()
        assert client.pump_until(lambda: client.of(h2.events.StreamEnded, stream_id))
        expected = b"".join(bytes([i]) * 16384 for i in range(4))
        assert client.received(stream_id) == expected
    finally:
        client.close()


PSEUDO = [(":method", "GET"), (":scheme", "http"), (":authority", "x")]


def malformed_heads(path: str) -> dict[str, list[tuple[str, str]]]:
    return {
        "uppercase-name": [*PSEUDO, (":path", path), ("X-Upper", "1")],
        "unknown-pseudo-header": [*PSEUDO, (":path", path), (":bogus", "1")],
        "response-pseudo-header": [*PSEUDO, (":path", path), (":status", "200")],
        "pseudo-after-regular": [*PSEUDO, ("x-first", "1"), (":path", path)],
        "duplicate-path": [*PSEUDO, (":path", path), (":path", path)],
        "connection-header": [*PSEUDO, (":path", path), ("connection", "keep-alive")],
        "te-not-trailers": [*PSEUDO, (":path", path), ("te", "gzip")],
        "missing-path": [*PSEUDO, ("x-path", path)],
    }


# hyper's h2 crate fails HPACK decoding on these two (h2 0.4 src/hpack/header.rs:
# HeaderName::from_lowercase, DecoderError::InvalidPseudoheader) and answers with
# GOAWAY(PROTOCOL_ERROR), a connection error. RFC 9113 5.4.1 lets an endpoint treat any
# stream error as a connection error, so that is allowed, if heavy-handed.
MAY_END_THE_CONNECTION = {"uppercase-name", "unknown-pseudo-header"}


@pytest.mark.parametrize("case", list(malformed_heads("/")))
def test_malformed_request_head_is_refused_and_the_connection_survives(server, case):
    """RFC 9113 8.1.1: a malformed request is a stream error (RST_STREAM with
    PROTOCOL_ERROR; a 400 is also fine). The app is not called and the next stream on
    the same connection is served (for MAY_END_THE_CONNECTION: or GOAWAY(PROTOCOL_ERROR)
    without processing the stream, and the next connection is served)."""
    key = uuid.uuid4().hex
    client = RawClient(server.address, strict=False)
    try:
        bad = client.conn.get_next_available_stream_id()
        client.conn.send_headers(bad, malformed_heads(f"/wait-disconnect?id={key}")[case], True)
        client.flush()

        def answered() -> bool:
            return bool(
                client.of(h2.events.StreamReset, bad)
                or client.of(h2.events.ResponseReceived, bad)
                or client.of(h2.events.ConnectionTerminated)
            )

        assert client.pump_until(answered), f"no answer to the malformed stream: {client.events}"
        if goaway := client.of(h2.events.ConnectionTerminated):
            assert case in MAY_END_THE_CONNECTION, f"a connection error: {goaway[0]}"
            assert goaway[0].error_code == h2.errors.ErrorCodes.PROTOCOL_ERROR
            assert goaway[0].last_stream_id < bad
            client.close()
            client = RawClient(server.address)
        elif resets := client.of(h2.events.StreamReset, bad):
            assert resets[0].error_code == h2.errors.ErrorCodes.PROTOCOL_ERROR
        else:
            status = dict(client.of(h2.events.ResponseReceived, bad)[0].headers)[":status"]
            assert status == "400"

        good = client.conn.get_next_available_stream_id()
        client.conn.send_headers(good, [*PSEUDO, (":path", "/ok")], end_stream=True)
        client.flush()
        assert client.pump_until(lambda: client.of(h2.events.StreamEnded, good))
        assert client.received(good) == b'{"ok": true}'
        assert not client.of(h2.events.ConnectionTerminated)
    finally:
        client.close()
    assert state(server, key) is None, "the app was called for a malformed request"


def test_graceful_shutdown_goaway_with_streams_in_flight():
    """SIGTERM with two slow streams in flight: GOAWAY (NO_ERROR) first with 2^31-1, then
    with the last stream the server took (RFC 9113 6.8). A stream opened after that is
    not processed; both in-flight streams complete; the process exits 0."""
    with support.serve_asgi("apps:main") as server:
        conn = support.FrameLevelH2(server.address)
        try:
            conn.send_request("GET", "/slow?seconds=1&id=first", stream_id=1)
            conn.send_request("GET", "/slow?seconds=1.2&id=second", stream_id=3)
            assert support.wait_for(
                lambda: state(server, "first") == state(server, "second") == "started"
            )
            server.send_signal(signal.SIGTERM)
            streams = conn.read_streams(
                until=lambda _: any(last < MAX_STREAM_ID for last, _code in conn.goaways)
            )
            assert conn.goaways, "no GOAWAY after SIGTERM"
            assert conn.goaways[0] == (MAX_STREAM_ID, 0), conn.goaways
            last = conn.goaways[-1][0]
            assert last == 3, f"the final GOAWAY names stream {last}, not 3: {conn.goaways}"
            assert not any(entry["ended"] for entry in streams.values()), streams
            conn.send_request("GET", "/ok", stream_id=5)
            conn.read_streams(streams=streams)  # until the server closes the connection
        finally:
            conn.close()
        assert server.process.wait(10) == 0, server.stderr()
    for stream_id in (1, 3):
        entry = streams.get(stream_id)
        assert entry and entry["ended"], f"stream {stream_id} did not complete: {streams}"
        assert (entry["status"], entry["body"]) == (200, b"slow response complete")
    late = streams.get(5, {})
    assert late.get("status") is None, f"stream 5 was processed after GOAWAY: {late}"
    assert late.get("reset") in (None, h2.errors.ErrorCodes.REFUSED_STREAM), late
    assert all(code == 0 for _, code in conn.goaways), conn.goaways
