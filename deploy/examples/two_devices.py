#!/usr/bin/python3
"""A one-minute Switchboard session: alice calls bob, bob's phone rings, he answers, they
exchange a signal, alice hangs up. Prints every frame. Needs Debian's python3-websockets.

    /usr/bin/python3 deploy/examples/two_devices.py [ws://127.0.0.1:8080]

Exits 0 when the whole call went as PROTOCOL.md says, 1 otherwise (the test suite runs it).
"""
import asyncio
import json
import sys

import websockets

URL = sys.argv[1] if len(sys.argv) > 1 else "ws://127.0.0.1:8080"


async def recv(ws, who, want):
    """Next frame of type `want` (every wait has a deadline)."""
    msg = json.loads(await asyncio.wait_for(ws.recv(), timeout=5))
    print(f"{who:>5} <- {json.dumps(msg)}")
    if msg["type"] != want:
        raise SystemExit(f"{who}: expected {want}, got {msg}")
    return msg


async def send(ws, who, msg):
    print(f"{who:>5} -> {json.dumps(msg)}")
    await ws.send(json.dumps(msg))


async def main():
    async with websockets.connect(f"{URL}/v1/ws?user=alice&device=phone") as alice, \
               websockets.connect(f"{URL}/v1/ws?user=bob&device=phone") as bob:
        await recv(alice, "alice", "welcome")
        await recv(bob, "bob", "welcome")

        await send(alice, "alice", {"id": "1", "type": "call", "to": "bob", "media": "video"})
        call_id = (await recv(alice, "alice", "ack"))["callId"]
        await recv(bob, "bob", "call")

        await send(bob, "bob", {"type": "ringing", "callId": call_id})
        await recv(alice, "alice", "ringing")

        await send(bob, "bob", {"id": "2", "type": "answer", "callId": call_id})
        await recv(bob, "bob", "ack")
        await recv(alice, "alice", "answer")

        await send(alice, "alice", {"type": "signal", "callId": call_id, "data": {"sdp": "v=0"}})
        await recv(bob, "bob", "signal")

        await send(alice, "alice", {"type": "hangup", "callId": call_id})
        ended = [await recv(alice, "alice", "ended"), await recv(bob, "bob", "ended")]
        if any(e["reason"] != "completed" for e in ended):
            raise SystemExit(f"unexpected end: {ended}")
    print("call completed")


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except (OSError, asyncio.TimeoutError, websockets.WebSocketException) as e:
        sys.exit(f"demo failed: {e!r}")
