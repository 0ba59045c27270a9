"""Seed programs for fuzz_engine: an assembler for its byte format and a few scenarios.

Mirrors the order in which fuzz_engine.cpp reads bytes (see its header comment). Connections
are named by their index among the open ones (in opening order), calls by how recent they are
(0: the call that started last), sessions by how recently they were first seen.
SWITCHBOARD_FUZZ_TRACE=1 fuzz_engine_replay <file> shows what a program does.
"""

# Config byte a: ring 6 s, ended calls kept 3 s, resume window 8 s, grace 4 s / caller 2 s.
A = 0x05
RING_OFFLINE = 0x40
WINDOW_1S = 0x00  # replaces bits 2-3 of A
# Config byte b: replay buffer 8 events and 4096 bytes, 16 remembered ids, at most 4 devices
# and 4 ringing calls per user.
B = 0xF3

FRESH, NONE = "fresh", "none"
USERS = {"u0": 0, "u1": 1, "u2": 2, "u3": 3}
KIND = {"call": 0, "ringing": 2, "answer": 3, "reject": 4, "hangup": 5, "signal": 6, "ping": 7}
STEPS = [0, 1, 250, 499, 500, 1000, 1999, 2000, 5000, 60000]


def command(kind, call=0, to="u1", call_id=None, flag=False, room=False, timeout=0, data=0,
            cid=FRESH):
    """One command. call: which known call (0 = latest, 0xFF = a made-up id); call_id for
    `call`: None (the engine picks), FRESH, or a known call's index; cid: FRESH, NONE or
    ("reuse", i), i indexing the last 8 fresh command ids."""
    out = bytearray()
    if cid == NONE:
        out.append(0)
    elif cid == FRESH:
        out.append(3)
    else:
        out += bytes([2, cid[1]])
    how = KIND[kind] | (8 if flag else 0) | (16 if room else 0) | (timeout << 5)
    out.append(how)
    if kind == "call":
        out.append(USERS[to])
        if call_id is None:
            out.append(0)
        elif call_id == FRESH:
            out.append(2)
        else:
            out += bytes([1, call_id])
        out.append(data)
    elif kind in ("answer", "signal"):
        out += bytes([call, data])
    elif kind != "ping":
        out.append(call)
    return bytes(out)


class Program:
    def __init__(self, a=A, b=B):
        self.out = bytearray([a, b])

    def connect(self, user, device=0, resume=None, seq_choice=0, other_user=False,
                other_device=False):
        """resume: None, "gone", or a session's index (0: the session first seen last);
        seq_choice picks lastSeq: its last seq, -1, +1, 0, 1, 2^40."""
        self.out += bytes([0, USERS[user], device])
        if resume is None:
            self.out.append(2)
        elif resume == "gone":
            self.out += bytes([1, 7])
        else:
            how = (4 if other_user else 0) | (8 if other_device else 0)
            self.out += bytes([how, resume, seq_choice])
        return self

    def drop(self, conn, clean=False):
        self.out += bytes([3, conn, 1 if clean else 0])
        return self

    def send(self, conn, cmd, text=False):
        self.out += bytes([8 if text else 4, conn]) + cmd
        return self

    def user_send(self, user, cmd):
        self.out += bytes([10, USERS[user]]) + cmd
        return self

    def advance(self, ms=None, deadline=False, minus_one=False, late=False):
        how = STEPS.index(ms) if ms is not None else 0
        if late:
            how = 0x80 | ((how - 8) % 10)  # 0x80 % 10 == 8
        if deadline:
            how |= 0x30 | (0x40 if minus_one else 0)
        self.out += bytes([11, how])
        return self

    def timeout(self):
        self.out.append(14)
        return self

    def stray(self, never_opened=False, close=False, clean=False, conn=1):
        how = (1 if never_opened else 0) | (2 if close else 0) | (4 if clean else 0)
        self.out += bytes([15, how]) + (b"" if never_opened else bytes([conn]))
        return self

    def bytes(self):
        return bytes(self.out)


def programs():
    p = {}
    p["call_answer_hangup"] = (
        Program().connect("u0", 1).connect("u1", 1)
        .send(0, command("call", to="u1", call_id=FRESH, data=1))
        .send(1, command("ringing")).send(1, command("answer", data=1))
        .send(0, command("signal", data=2)).send(1, command("signal", data=1), text=True)
        .advance(1000).send(1, command("hangup", flag=True)).send(0, command("hangup"))
        .advance(60000).send(0, command("answer")))
    p["reject_and_decline"] = (
        Program().connect("u0", 1).connect("u1", 1).connect("u1", 2)
        .send(0, command("call", to="u1")).send(1, command("reject", flag=True))
        .send(0, command("call", to="u1", call_id=FRESH)).send(2, command("hangup"))
        .send(1, command("reject")).send(0, command("reject")))
    p["answer_race"] = (
        Program().connect("u0", 1).connect("u1", 1).connect("u1", 2)
        .send(0, command("call", to="u1", room=True)).send(1, command("answer"))
        .send(2, command("answer")).send(2, command("signal")).send(0, command("ringing"))
        .send(0, command("hangup")))
    p["ring_timeout_races"] = (
        Program(a=A).connect("u0", 1).connect("u1", 1).connect("u2", 1).connect("u3", 1)
        .send(0, command("call", to="u1")).advance(deadline=True, minus_one=True)
        .send(1, command("answer"))
        .send(2, command("call", to="u3")).advance(deadline=True, late=True)
        .send(3, command("answer")).advance(5000).send(0, command("hangup")))
    p["caller_drop_resume"] = (
        Program().connect("u0", 1).connect("u1", 1)
        .send(0, command("call", to="u1")).drop(0).advance(1000).send(0, command("answer"))
        .connect("u0", resume=1).send(1, command("signal", data=1))
        .send(0, command("hangup")))
    p["grace_expiry_then_resume"] = (
        Program().connect("u0", 1).connect("u1", 1)
        .send(0, command("call", to="u1")).send(1, command("answer")).drop(1)
        .advance(5000).connect("u1", resume=0).advance(60000)
        .connect("u1", resume=0, seq_choice=1))
    p["user_commands_deviceless"] = (
        Program(a=A | RING_OFFLINE)
        .user_send("u0", command("call", to="u1", call_id=FRESH)).connect("u1", 1)
        .send(0, command("answer")).user_send("u0", command("signal", data=1))
        .user_send("u1", command("ping")).user_send("u0", command("hangup"))
        .user_send("u2", command("call", to="u3")).user_send("u3", command("answer"))
        .user_send("u2", command("signal")).connect("u2", 2).drop(1, clean=True))
    # Both sides over REST with --ring-offline: no device ever holds the call, so nothing but
    # a REST hangup ends it (fuzz_engine's final drain sends one).
    p["deviceless_both_sides"] = (
        Program(a=A | RING_OFFLINE).user_send("u2", command("call", to="u3"))
        .user_send("u3", command("answer")).advance(60000).user_send("u0", command("call",
                                                                                   to="u3")))
    p["idempotent_retry"] = (
        Program().connect("u0", 1).connect("u1", 1)
        .send(0, command("call", to="u1", call_id=FRESH))
        .send(0, command("call", to="u1", cid=("reuse", 0)))
        .send(0, command("call", to="u1", call_id=0, cid=NONE))
        .send(1, command("call", to="u0", call_id=0)).drop(0).connect("u0", resume=1)
        .send(1, command("call", to="u1", cid=("reuse", 0))))
    p["replay_buffer_overflow"] = (
        Program(b=0xF4).connect("u0", 1).connect("u1", 1)
        .send(0, command("call", to="u1")).send(1, command("answer")).drop(1)
        .send(0, command("signal", data=3)).send(0, command("signal", data=3))
        .send(0, command("signal", data=2)).connect("u1", resume=0))
    p["replaced_device"] = (
        Program().connect("u0", 1).connect("u1", 1).send(0, command("call", to="u1"))
        .connect("u0", 1).connect("u0", resume=0).send(0, command("hangup")))
    p["device_limit"] = (
        Program(b=0xC3).connect("u0", 1).connect("u0", 2).connect("u0", 0)
        .connect("u0", 1).drop(0).connect("u0", 2).connect("u1", 1)
        .send(0, command("call", to="u0")))
    p["ringing_limit"] = (
        Program(b=0x33).connect("u0", 1).connect("u1", 1).connect("u2", 1)
        .send(0, command("call", to="u1")).send(0, command("call", to="u2"))
        .user_send("u0", command("call", to="u3")).send(1, command("reject"))
        .send(0, command("call", to="u2")))
    p["busy_and_unavailable"] = (
        Program().connect("u0", 1).connect("u1", 1).connect("u2", 1)
        .send(0, command("call", to="u1")).send(1, command("answer"))
        .send(2, command("call", to="u1")).send(0, command("call", to="u2"))
        .send(2, command("call", to="u3")).send(1, command("answer", call=1)))
    p["text_commands"] = (
        Program().connect("u0", 1).connect("u1", 1)
        .send(0, command("call", to="u1", call_id=FRESH, room=True, flag=True, timeout=3,
                         data=2), text=True)
        .send(1, command("ringing"), text=True).send(1, command("answer", data=1), text=True)
        .send(0, command("signal", data=1), text=True).send(0, command("ping"), text=True)
        .send(1, command("hangup", flag=True), text=True)
        .send(1, command("reject", call=0xFF), text=True))
    p["stray_and_late_driver"] = (
        Program().connect("u0", 1).connect("u1", 1).send(0, command("call", to="u1"))
        .stray(never_opened=True, close=True).stray(conn=5).advance(1999, late=True)
        .timeout().drop(0, clean=True).stray(close=True, conn=0)
        .connect("u0", resume="gone").connect("u1", resume=0, other_user=True)
        .connect("u1", resume=1, seq_choice=5).advance(5000, late=True)
        .send(0, command("ping", cid=NONE)))
    p["session_expiry_ends_calls"] = (
        Program(a=(A & ~0x0C) | WINDOW_1S).connect("u0", 1).connect("u1", 1)
        .send(0, command("call", to="u1")).send(1, command("answer")).drop(0)
        .advance(1000).advance(1000).connect("u0", resume=1))
    return {name: program.bytes() for name, program in p.items()}
