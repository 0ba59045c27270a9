#!/usr/bin/env python3
"""Writes the seed corpora in tests/fuzz/corpus/ (each file one small, meaningful input).

Run it after changing a seed here or the byte format of fuzz_engine.cpp; it rewrites only the
seed files it names (units merged in from fuzzing runs are left alone). The engine programs
mirror the order in which fuzz_engine.cpp reads its bytes: keep the two in step.
"""
import json
import pathlib

import engine_programs

ROOT = pathlib.Path(__file__).resolve().parent / "corpus"


def write(target, name, data):
    path = ROOT / target / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data if isinstance(data, bytes) else data.encode())


def j(value):
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def codec():
    seeds = {
        "call_minimal": {"type": "call", "to": "bob"},
        "call_every_field": {"id": "r1", "type": "call", "to": "bob@example.com",
                             "media": "video", "callId": "c-1.x_~+@", "roomName": "Team room ü",
                             "timeoutMs": 45000, "data": {"sdp": "v=0", "n": [1, 2.5, None, True]}},
        "call_timeout_min": {"type": "call", "to": "b", "timeoutMs": 5000},
        "call_timeout_max": {"type": "call", "to": "b", "timeoutMs": 120000},
        "call_timeout_low": {"type": "call", "to": "b", "timeoutMs": 4999},
        "call_timeout_float": {"type": "call", "to": "b", "timeoutMs": 5000.0},
        "call_timeout_string": {"type": "call", "to": "b", "timeoutMs": "5000"},
        "call_room_too_long": {"type": "call", "to": "b", "roomName": "r" * 129},
        "call_room_control": {"type": "call", "to": "b", "roomName": "a\u0001b"},
        "call_bad_media": {"type": "call", "to": "b", "media": "fax", "id": "q1"},
        "call_bad_to": {"type": "call", "to": "b c", "id": "q1"},
        "call_self_max_id": {"type": "call", "to": "u" * 128},
        "call_data_array": {"type": "call", "to": "b", "data": [1]},
        "ringing": {"type": "ringing", "callId": "c1", "id": "7"},
        "answer": {"type": "answer", "callId": "c1"},
        "answer_data": {"type": "answer", "callId": "c1", "data": {"sdp": "x"}},
        "reject_busy": {"type": "reject", "callId": "c1", "reason": "busy"},
        "reject_bad_reason": {"type": "reject", "callId": "c1", "reason": "nope"},
        "hangup_reason": {"type": "hangup", "callId": "c1", "reason": "bye \"x\" ✓"},
        "hangup_reason_long": {"type": "hangup", "callId": "c1", "reason": "é" * 65},
        "signal": {"type": "signal", "callId": "c1", "data": {"candidate": "a=1"}},
        "signal_no_data": {"type": "signal", "callId": "c1", "id": "q"},
        "ping": {"type": "ping"},
        "ping_id_max": {"type": "ping", "id": "ü" * 64},
        "ping_id_long": {"type": "ping", "id": "x" * 65},
        "ping_id_number": {"type": "ping", "id": 5},
        "unknown_type_long": {"type": "ü" * 40, "id": "u"},
        "type_number": {"type": 5, "id": "q1"},
        "no_type": {"id": "x", "to": "bob"},
    }
    for name, value in seeds.items():
        write("codec", name + ".json", j(value))
    raw = {
        "data_verbatim": '{ "type" : "signal", "callId":"c", "data" : { "b":1, "a" : [ 1.50, '
                         '-0, 1e300, 18446744073709551615 ], "s":"\\ud83d\\ude00\\n" } }',
        "data_duplicate": '{"type":"signal","callId":"c","data":{"a":1},"data":{"b":2}}',
        "data_nested_ok": '{"type":"signal","callId":"c","data":' + "[" * 30 + "]" * 30 + "}",
        "data_nested_deep": '{"type":"signal","callId":"c","data":{"a":' + "[" * 40 + "]" * 40
                            + "}}",
        "data_after_key_data": '{"type":"call","to":"b","x":{"data":{"y":1}},"data":{"z":[{}]}}',
        "empty": "",
        "truncated": '{"type":"call","to":"b',
        "not_object": '[{"type":"ping"}]',
        "raw_nul": '{"type":"ping"}\x00x',
        "lone_surrogate": '{"type":"ping","id":"\\ud800"}',
    }
    for name, text in raw.items():
        write("codec", name + ".json", text)
    write("codec", "invalid_utf8.json", b'{"type":"ping","id":"\xc0\xaf"}')
    write("codec", "call_data_too_large.json",
          j({"type": "call", "to": "b", "data": {"p": "x" * 8200}}))


def phoenix_binary(join_ref, ref, topic, event, meta, encoding, payload):
    fields = [f.encode() if isinstance(f, str) else f for f in (join_ref, ref, topic, event, meta)]
    header = bytes([3] + [len(f) for f in fields] + [encoding])
    return header + b"".join(fields) + (payload.encode() if isinstance(payload, str) else payload)


def phoenix():
    signal = {"type": "broadcast", "event": "call-signal",
              "payload": {"type": "call", "from": "alice", "to": "bob", "callId": "c1"}}
    join = {"config": {"broadcast": {"ack": True, "self": False}, "presence": {"key": ""},
                       "postgres_changes": [], "private": False}, "access_token": "x.y.z"}
    v2 = {
        "join": ["1", "1", "realtime:calls:alice", "phx_join", join],
        "heartbeat": [None, "2", "phoenix", "heartbeat", {}],
        "broadcast_call_signal": ["1", "3", "realtime:calls:bob", "broadcast", signal],
        "leave": ["1", "4", "realtime:calls:alice", "phx_leave", None],
        "integer_refs": [1, -2, "t", "access_token", {"access_token": "x"}],
        "ref_too_long": ["r" * 256, None, "t", "e", {}],
        "topic_multibyte_limit": [None, None, "é" * 127 + "x", "e", {}],
        "four_elements": [None, None, "t", "e"],
        "payload_array": [None, None, "t", "e", [1]],
        "empty_topic": [None, None, "", "e", {}],
        "event_number": [None, None, "t", 5, {}],
        "nested_31": [None, None, "t", "e", json.loads("{\"a\":" * 30 + "1" + "}" * 30)],
    }
    for name, value in v2.items():
        write("phoenix_codec", "v2_" + name + ".json", j(value))
    v1 = {
        "join": {"topic": "realtime:calls:alice", "event": "phx_join", "payload": join,
                 "ref": "1", "join_ref": "1"},
        "heartbeat": {"topic": "phoenix", "event": "heartbeat", "payload": {}, "ref": "2"},
        "broadcast": {"topic": "realtime:room", "event": "broadcast", "ref": None,
                      "payload": {"type": "broadcast", "event": "hi", "payload": {"n": 1}},
                      "extra": True},
        "no_event": {"topic": "t", "payload": {}},
    }
    for name, value in v1.items():
        write("phoenix_codec", "v1_" + name + ".json", j(value))
    write("phoenix_codec", "text_invalid_utf8.json", b'[null,null,"t\xff","e",{}]')
    write("phoenix_codec", "text_nested_33.json", "[null,null,\"t\",\"e\"," + "[" * 33 + "]" * 33 + "]")
    binary = {
        "json_push": phoenix_binary("1", "2", "realtime:room", "hi", "", 1, j({"n": [1, "x"]})),
        "raw_push": phoenix_binary("1", "", "realtime:room", "blob", "", 0, b"\x00\xff\x01"),
        "meta_empty_event": phoenix_binary("", "", "t", "", j({"replayed": True}), 1, "null"),
        "bad_encoding": phoenix_binary("1", "2", "t", "e", "", 2, "{}"),
        "bad_meta": phoenix_binary("1", "2", "t", "e", "[1]", 1, "{}"),
        "bad_json_payload": phoenix_binary("1", "2", "t", "e", "", 1, "{"),
        "empty_topic": phoenix_binary("1", "2", "", "e", "", 0, ""),
        "invalid_utf8_ref": phoenix_binary("1", b"\xc3", "t", "e", "", 0, ""),
        "deep_payload": phoenix_binary("", "", "t", "e", "", 1, "[" * 31 + "]" * 31),
    }
    for name, data in binary.items():
        write("phoenix_codec", "bin_" + name + ".bin", data)
    write("phoenix_codec", "bin_lengths_beyond.bin", bytes([3, 1, 1, 200, 1, 0, 1]) + b"12tt")
    write("phoenix_codec", "bin_short_header.bin", bytes([3, 0, 0]))
    write("phoenix_codec", "bin_kind4.bin", bytes([4, 1, 1, 0, 1]) + b"te{}")


# The first byte of a realtime_signals input picks the sender (its value % 4: alice, bob, u0,
# an id using every allowed character) and the transport id ((value / 4) % 4: none, "1", "",
# "rest"); these are printable picks.
AS_ALICE, AS_ALICE_ID, AS_BOB, AS_BOB_ID = "@", "D", "A", "E"


def realtime_signals():
    base = {"from": "alice", "to": "bob", "callId": "c1", "roomName": "room-1"}
    seeds = {
        "seed_call": (AS_ALICE, dict(base, type="call")),
        "call_full": (AS_ALICE_ID, {"type": "call", "to": "bob", "media": "video",
                                    "timeoutMs": 9000, "data": {"sdp": "v=0"}, "id": "p"}),
        "seed_answer": (AS_BOB, dict(base, type="answer", **{"from": "bob"})),
        "answer_data": (AS_BOB_ID, {"type": "answer", "callId": "c1", "data": {"x": [1]}}),
        "seed_reject": (AS_BOB, dict(base, type="reject", **{"from": "bob"})),
        "busy": (AS_BOB, {"type": "busy", "callId": "c1", "reason": "declined"}),
        "seed_hangup": (AS_ALICE, dict(base, type="hangup")),
        "cancel_reason": (AS_ALICE_ID, {"type": "cancel", "callId": "c1", "reason": "later"}),
        "ringing": (AS_BOB, {"type": "ringing", "callId": "c1"}),
        "signal": (AS_ALICE_ID, {"type": "signal", "callId": "c1", "data": {"ice": "a"}}),
        "from_other": (AS_BOB, dict(base, type="call")),
        "from_number": (AS_ALICE, {"type": "call", "to": "bob", "from": 7}),
        "no_type": (AS_ALICE, {"callId": "c1"}),
        "type_number": (AS_ALICE, {"type": 1}),
        "ping": (AS_ALICE_ID, {"type": "ping"}),
        "unknown": (AS_ALICE, {"type": "presence"}),
        "array": (AS_ALICE, ["call"]),
        "bad_call_id": (AS_ALICE, {"type": "answer", "callId": "a b"}),
        "signal_no_data": (AS_ALICE, {"type": "signal", "callId": "c1"}),
        "hangup_long": (AS_ALICE, {"type": "hangup", "callId": "c1", "reason": "x" * 65}),
        "call_data_too_large": (AS_ALICE, {"type": "call", "to": "bob",
                                           "data": {"p": "x" * 8200}}),
    }
    for name, (pick, value) in seeds.items():
        write("realtime_signals", name + ".json", pick + j(value))
    for name, text in {"topic_calls": "realtime:calls:alice", "topic_plain": "calls:bob",
                       "topic_double_prefix": "realtime:realtime:calls:x",
                       "topic_empty_user": "calls:", "not_json": "{\"type\":"}.items():
        write("realtime_signals", name + ".txt", AS_ALICE + text)


def main():
    codec()
    phoenix()
    realtime_signals()
    for name, program in engine_programs.programs().items():
        write("engine", name + ".bin", program)


if __name__ == "__main__":
    main()
