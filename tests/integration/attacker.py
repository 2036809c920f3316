#!/usr/bin/env python3
# attacker.py: the hostile clients of pipeline_hostile.sh, each holding
# its connections until a stop file appears, then printing what it got.
#
#   attacker.py memory PORT N STOP     N ingest bodies announced as 1 MiB,
#                                      all but its last byte sent, then
#                                      held; with $AUTH
#                                      as a header line when it is set
#   attacker.py slowloris PORT N STOP  N request heads, a byte a second
#   attacker.py wsmute PORT N STOP     N WebSocket clients that ping and
#                                      never read
#   attacker.py unixflood SOCK N STOP  N idle connections to collectord
#   attacker.py garbage SOCK           hostile lines to collectord, once
#
# The first line printed is "open K" once the connections are made; the
# last is a summary of the answers, as "answers 503:12 408:3 none:0".
import os
import socket
import sys
import time

HOST = "127.0.0.1"


def wait_stop(stop):
    while not os.path.exists(stop):
        time.sleep(0.05)


def status_of(s):
    """The status code of the answer waiting on s, or what happened."""
    s.setblocking(False)
    try:
        data = s.recv(256)
    except BlockingIOError:
        return None
    except OSError:
        return "reset"
    if not data:
        return "closed"
    parts = data.split(b" ", 2)
    if len(parts) >= 2 and parts[0].startswith(b"HTTP/"):
        return parts[1].decode(errors="replace")
    return "other"


def summary(socks, answers):
    for s in socks:
        st = status_of(s)
        if st is not None:
            answers[st] = answers.get(st, 0) + 1
        else:
            answers["none"] = answers.get("none", 0) + 1
        s.close()
    print("answers " + " ".join("%s:%d" % kv for kv in sorted(answers.items())),
          flush=True)


def tcp(port):
    s = socket.create_connection((HOST, port), timeout=5)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    return s


def memory(port, n, stop):
    auth = os.environ.get("AUTH", "")
    if auth:
        auth += "\r\n"
    head = ("POST /api/v1/events/ingest HTTP/1.1\r\nHost: %s\r\n"
            "Content-Type: application/json\r\nContent-Length: %d\r\n%s\r\n"
            % (HOST, 1 << 20, auth)).encode()
    body = b'{"events":[],"pad":"' + b"a" * ((1 << 20) - 21)
    socks = []
    for _ in range(n):
        s = tcp(port)
        s.sendall(head)
        socks.append(s)
    answers = {}
    # The body goes only to a connection that was not refused already.
    time.sleep(0.2)
    live = []
    for s in socks:
        st = status_of(s)
        if st is not None:
            answers[st] = answers.get(st, 0) + 1
            s.close()
            continue
        s.setblocking(True)
        try:
            s.sendall(body)
        except OSError:
            answers["reset"] = answers.get("reset", 0) + 1
            s.close()
            continue
        live.append(s)
    print("open %d" % len(live), flush=True)
    wait_stop(stop)
    summary(live, answers)


def slowloris(port, n, stop):
    head = b"GET /api/v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: "
    socks = [tcp(port) for _ in range(n)]
    print("open %d" % len(socks), flush=True)
    answers = {}
    i = 0
    while not os.path.exists(stop):
        live = []
        for s in socks:
            st = status_of(s)
            if st is not None:
                answers[st] = answers.get(st, 0) + 1
                s.close()
                continue
            try:
                s.send(head[i:i + 1] if i < len(head) else b"a")
            except OSError:
                answers["reset"] = answers.get("reset", 0) + 1
                s.close()
                continue
            live.append(s)
        socks = live
        i += 1
        for _ in range(20):
            if os.path.exists(stop):
                break
            time.sleep(0.05)
    summary(socks, answers)


def wsmute(port, n, stop):
    req = ("GET /api/v1/agents/activity/stream HTTP/1.1\r\nHost: %s\r\n"
           "Upgrade: websocket\r\nConnection: Upgrade\r\n"
           "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
           "Sec-WebSocket-Version: 13\r\n\r\n" % HOST).encode()
    ping = bytes([0x89, 0x80 | 4, 1, 2, 3, 4]) + b"\0\0\0\0"
    socks = []
    for _ in range(n):
        s = tcp(port)
        s.sendall(req)
        socks.append(s)
    print("open %d" % len(socks), flush=True)
    answers = {}
    while not os.path.exists(stop):
        live = []
        for s in socks:
            s.setblocking(False)
            try:
                s.send(ping)
            except BlockingIOError:
                pass
            except OSError:
                answers["dropped"] = answers.get("dropped", 0) + 1
                s.close()
                continue
            live.append(s)
        socks = live
        time.sleep(0.05)
    for s in socks:
        s.close()
    answers["held"] = len(socks)
    print("answers " + " ".join("%s:%d" % kv for kv in sorted(answers.items())),
          flush=True)


def unixflood(path, n, stop):
    socks, failed = [], 0
    for _ in range(n):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            s.connect(path)
        except OSError:
            failed += 1
            s.close()
            continue
        socks.append(s)
    print("open %d" % len(socks), flush=True)
    wait_stop(stop)
    answers = {"failed": failed}
    for s in socks:
        s.close()
    print("answers " + " ".join("%s:%d" % kv for kv in sorted(answers.items())),
          flush=True)


GARBAGE = [
    b"not json at all\n",
    b"{\"event_id\":\n",
    b"[" * 100000 + b"\n",
    b"{\"hook_type\":\"task_started\",\"metadata\":{\"x\":\"\xff\xfe\"}}\n",
    b"{\"a\":\"\x00\"}\n",
    b"{\"hook_type\":\"task_started\",\"metadata\":{\"n\":1e999999}}\n",
    b"x" * (4 << 20) + b"\n",
    b"\n\n\n{}\n",  # blank lines are skipped; {} is answered
    b"{\"hook_type\":\"task_started\"" + b",\"k\":1" * 200000 + b"}\n",
]


def garbage(path):
    answered = 0
    for line in GARBAGE:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(10)
        s.connect(path)
        got = b""
        try:
            s.sendall(line)
            s.shutdown(socket.SHUT_WR)
        except OSError:
            pass    # it may answer and close before reading all of it
        try:
            got = s.recv(4096)
        except OSError as e:
            print("garbage %r...: %s" % (line[:20], e), flush=True)
        if got:
            answered += 1
        else:
            print("garbage %r... (%d bytes): no answer" % (line[:20], len(line)),
                  flush=True)
        s.close()
    print("garbage: sent %d lines, answered %d" % (len(GARBAGE), answered),
          flush=True)


def main():
    what = sys.argv[1]
    if what == "garbage":
        garbage(sys.argv[2])
        return
    target, n, stop = sys.argv[2], int(sys.argv[3]), sys.argv[4]
    if what == "unixflood":
        unixflood(target, n, stop)
    else:
        {"memory": memory, "slowloris": slowloris,
         "wsmute": wsmute}[what](int(target), n, stop)


if __name__ == "__main__":
    main()
