#!/usr/bin/env python3
"""Records the responses of protocol/examples transcripts from the real `mantra serve`.

    python3 protocol/record.py --mantra build/mantra protocol/examples/event.json ...

A transcript is a JSON array of steps: {"request": message} (client -> server) or
{"notification": {"method": ..., "params": {...}}} (server -> client). This script runs the
server exactly as tests/unit/RpcTests.cpp replays it (in the project folder, on a database
indexed from tests/fixtures/generated/claude/home, with an empty HOME and config folder), sends
consecutive client messages in one write, and for a notification step waits for the first
notification of that method whose params contain the step's params (key by key), then stores
the notification's full params. Every request with an id gets its "response". The database
path is written as the default one, so that no machine's path lands in the examples.

Check the result by reading it: it becomes what the test expects.
"""
import argparse
import json
import os
import select
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHOWN_DB = "~/.local/share/mantra/mantra.db"


def frame(msg):
    body = json.dumps(msg).encode()
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


class Server:
    def __init__(self, mantra, db, home, config):
        env = {k: v for k, v in os.environ.items()
               if k not in ("CLAUDE_CONFIG_DIR", "CODEX_HOME", "GEMINI_CLI_HOME", "XDG_DATA_HOME",
                            "MANTRA_DB")}
        env.update(HOME=home, XDG_CONFIG_HOME=config)
        self.p = subprocess.Popen([mantra, "--db", db, "serve"], cwd=ROOT, env=env,
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        self.buf = b""
        self.msgs = []

    def send(self, data):
        if data:
            self.p.stdin.write(data)
            self.p.stdin.flush()

    def read_some(self, timeout):
        r, _, _ = select.select([self.p.stdout], [], [], timeout)
        if not r:
            return False
        chunk = os.read(self.p.stdout.fileno(), 65536)
        if not chunk:
            return False
        self.buf += chunk
        while True:
            end = self.buf.find(b"\r\n\r\n")
            if end < 0:
                return True
            n = int(self.buf[16:end])
            if len(self.buf) < end + 4 + n:
                return True
            self.msgs.append(json.loads(self.buf[end + 4:end + 4 + n]))
            self.buf = self.buf[end + 4 + n:]

    def wait_for(self, pred, timeout=20):
        deadline = time.time() + timeout
        seen = 0
        while True:
            for m in self.msgs[seen:]:
                if pred(m):
                    return m
            seen = len(self.msgs)
            if time.time() > deadline or not self.read_some(deadline - time.time()):
                return None

    def finish(self):
        self.p.stdin.close()
        while self.read_some(30):
            pass
        return self.p.wait()


def contains(params, want):
    return all(k in params and params[k] == v for k, v in want.items())


def hide_db(value, db):
    if isinstance(value, dict):
        return {k: (SHOWN_DB if k == "database" and v == db else hide_db(v, db))
                for k, v in value.items()}
    if isinstance(value, list):
        return [hide_db(v, db) for v in value]
    return value


def record(path, mantra, fixture_db, work):
    steps = json.load(open(path))
    db = os.path.join(work, "mantra.db")
    shutil.copy(fixture_db, db)
    home, config = os.path.join(work, "home"), os.path.join(work, "config")
    os.makedirs(home, exist_ok=True)
    os.makedirs(config, exist_ok=True)
    server = Server(mantra, db, home, config)
    group = b""
    for step in steps:
        if "request" in step:
            group += frame(step["request"])
            continue
        server.send(group)
        group = b""
        want = step["notification"]
        got = server.wait_for(lambda m: "id" not in m and m.get("method") == want["method"]
                              and contains(m.get("params", {}), want.get("params", {})))
        if got is None:
            sys.exit(f"{path}: no {want['method']} notification with {want.get('params')}")
        step["notification"] = {"jsonrpc": "2.0", "method": got["method"],
                                "params": got["params"]}
    server.send(group)
    code = server.finish()
    for step in steps:
        rq = step.get("request")
        if rq is None or "id" not in rq:
            continue
        answers = [m for m in server.msgs
                   if m.get("id") == rq["id"] and ("result" in m or "error" in m)]
        if not answers:
            sys.exit(f"{path}: no response to {json.dumps(rq)}")
        step["response"] = hide_db(answers[0], db)
    with open(path, "w") as out:
        json.dump(steps, out, indent=2, ensure_ascii=False)
        out.write("\n")
    print(f"{path}: {len(steps)} steps, exit code {code}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--mantra", default=os.path.join(ROOT, "build", "mantra"))
    ap.add_argument("transcripts", nargs="+")
    args = ap.parse_args()
    mantra = os.path.abspath(args.mantra)
    with tempfile.TemporaryDirectory() as tmp:
        fixture_db = os.path.join(tmp, "fixture.db")
        subprocess.run([mantra, "--db", fixture_db, "index", "--json",
                        os.path.join(ROOT, "tests/fixtures/generated/claude/home")],
                       check=True, stdout=subprocess.DEVNULL)
        for i, path in enumerate(args.transcripts):
            work = os.path.join(tmp, str(i))
            os.makedirs(work)
            record(path, mantra, fixture_db, work)


if __name__ == "__main__":
    main()
