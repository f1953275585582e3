#!/usr/bin/env python3
"""Writes tests/search/samples/: ten small sessions for the search quality set (queries.json).

    python3 tests/search/make_samples.py        # rewrites samples/ (deterministic)

The fixtures in tests/fixtures/ are genuine but mostly one scenario told by six CLIs; these add
sessions on distinct subjects that share words on purpose (two sessions mention websockets, one
only in tool output; a README mentions docker; a sub-agent searches for what its parent fixes),
so that ranking has something to get right. They are written in the on-disk shapes of Claude
Code (with a sub-agent transcript), Codex CLI and Gemini CLI that bench/gen_corpus.py also
writes; every id and time is fixed, so the output never changes.
"""
import hashlib
import json
import os
import shutil
import uuid
from datetime import datetime, timedelta, timezone

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "samples")


def iso(t):
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


def uid(name):
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "mantra-search-sample:" + name))


# --- the sessions ------------------------------------------------------------------------------
# Steps: ("user", text) ("text", text) ("read", path, content) ("write", path, content)
# ("edit", path, old, new) ("shell", command, output, exit code) ("grep", pattern, output).

WS_TS = """import { log } from "./log";

export function reconnectWebSocket(url: string, attempt = 0): WebSocket {
  const socket = new WebSocket(url);
  socket.onclose = () => {
    const backoffMs = Math.min(30000, 500 * 2 ** attempt);
    setTimeout(() => reconnectWebSocket(url, attempt + 1), backoffMs);
  };
  return socket;
}
"""

SESSIONS = [
    dict(
        name="ws-reconnect", agent="claude", cwd="/home/dev/code/webapp", branch="fix/ws-reconnect",
        model="claude-opus-4-5", version="2.1.150", t0=datetime(2026, 10, 12, 9, 30, tzinfo=timezone.utc),
        title="Websocket does not reconnect after sleep",
        steps=[
            ("user", "the websocket doesn't reconnect after the laptop sleeps. Look at reconnectWebSocket "
                     "in src/net/ws.ts and make it recover when the machine wakes up"),
            ("read", "src/net/ws.ts", WS_TS),
            ("text", "The close handler only fires when the browser notices the dead socket, which can take "
                     "minutes after a sleep. I'll also listen for the online and visibilitychange events."),
            ("edit", "src/net/ws.ts", "  return socket;\n}",
             "  window.addEventListener(\"online\", () => socket.close());\n"
             "  document.addEventListener(\"visibilitychange\", () => {\n"
             "    if (document.visibilityState === \"visible\") socket.close();\n  });\n  return socket;\n}"),
            ("shell", "npm test -- ws",
             "FAIL src/net/ws.test.ts\n  ● reconnects after sleep\n    expected reconnect to be called 1 time, "
             "got 0\nTests: 1 failed, 11 passed", 1),
            ("edit", "src/net/ws.ts", "socket.close());\n  });", "socket.close());\n  }, { once: true });"),
            ("shell", "npm test -- ws", "PASS src/net/ws.test.ts\nTests: 12 passed", 0),
            ("text", "Reconnection now also triggers on visibilitychange and the online event; the exponential "
                     "backoff stays capped at 30 s."),
        ]),
    dict(
        name="ws-explore", agent="claude", parent="ws-reconnect", cwd="/home/dev/code/webapp",
        branch="fix/ws-reconnect", model="claude-haiku-4-5", version="2.1.150",
        t0=datetime(2026, 10, 12, 9, 31, tzinfo=timezone.utc),
        steps=[
            ("user", "Find every place that opens a WebSocket in this repository and summarize the reconnect "
                     "logic of each"),
            ("grep", "new WebSocket",
             "src/net/ws.ts:4:  const socket = new WebSocket(url);\n"
             "src/admin/live.ts:17:    this.ws = new WebSocket(this.endpoint);"),
            ("text", "Two places open sockets: src/net/ws.ts (exponential backoff in reconnectWebSocket) and "
                     "src/admin/live.ts (no retry at all)."),
        ]),
    dict(
        name="pino-logging", agent="claude", cwd="/home/dev/code/api-server", branch="main",
        model="claude-sonnet-4-5", version="2.0.31", t0=datetime(2026, 9, 10, 14, 0, tzinfo=timezone.utc),
        title="Structured logging with pino",
        steps=[
            ("user", "add structured logging to the API server with pino, one JSON line per request"),
            ("shell", "ls server", "index.ts\nroutes.ts\nws-gateway.ts  (websocket gateway)\nlogger.ts", 0),
            ("write", "server/logger.ts",
             "import pino from \"pino\";\n\nexport const logger = pino({ level: process.env.LOG_LEVEL ?? \"info\" });\n"),
            ("shell", "npm run build", "tsc -p .\nDone in 4.2s", 0),
            ("text", "Every request now logs one JSON line with method, path, status and duration."),
        ]),
    dict(
        name="flaky-scheduler", agent="codex", cwd="/home/dev/code/jobs", branch="main", model="gpt-5-codex",
        version="0.46.0", t0=datetime(2026, 8, 20, 8, 15, tzinfo=timezone.utc),
        steps=[
            ("user", "tests/test_scheduler.py is flaky: test_job_runs_once sometimes times out on CI"),
            ("shell", "pytest tests/test_scheduler.py -x -q",
             "F\n___ test_job_runs_once ___\nasyncio.exceptions.TimeoutError\n1 failed in 5.03s", 1),
            ("read", "scheduler/runner.py",
             "import asyncio\n\nasync def run_once(job):\n    await asyncio.sleep(0.1)\n    await job()\n"),
            ("edit", "scheduler/runner.py", "    await asyncio.sleep(0.1)\n    await job()",
             "    await started.wait()\n    await job()"),
            ("shell", "pytest tests/test_scheduler.py -q --count 50", "50 passed in 7.91s", 0),
            ("text", "It was a race condition: the job could be scheduled before the event loop had started "
                     "the runner. The runner now waits on an asyncio.Event instead of sleeping."),
        ]),
    dict(
        name="docker-alpine", agent="gemini", cwd="/home/dev/code/api", model="gemini-2.5-pro",
        t0=datetime(2026, 7, 5, 16, 40, tzinfo=timezone.utc),
        steps=[
            ("user", "docker build fails on alpine: Error loading shared library libstdc++.so.6"),
            ("read", "Dockerfile", "FROM node:22-alpine\nWORKDIR /app\nCOPY . .\nRUN npm ci\nCMD [\"node\", \"dist/index.js\"]\n"),
            ("shell", "docker build -t api:dev .",
             "Step 4/5 : RUN npm ci\nError loading shared library libstdc++.so.6: No such file or directory", 1),
            ("edit", "Dockerfile", "WORKDIR /app\n", "WORKDIR /app\nRUN apk add --no-cache libstdc++\n"),
            ("shell", "docker build -t api:dev .", "Successfully tagged api:dev", 0),
            ("text", "The native module needs the C++ runtime, which alpine images leave out; apk add libstdc++ "
                     "fixes the build."),
        ]),
    dict(
        name="email-verified", agent="claude", cwd="/home/dev/code/accounts", branch="feat/email-verify",
        model="claude-sonnet-4-5", version="2.0.31", t0=datetime(2026, 6, 12, 10, 0, tzinfo=timezone.utc),
        title="email_verified column and backfill",
        steps=[
            ("user", "add an email_verified column to users with an alembic migration and backfill it from "
                     "confirmed_at"),
            ("write", "migrations/versions/0042_email_verified.py",
             "def upgrade():\n    op.add_column(\"users\", sa.Column(\"email_verified\", sa.Boolean(), "
             "server_default=\"false\"))\n    op.execute(\"UPDATE users SET email_verified = confirmed_at IS NOT NULL\")\n"),
            ("shell", "alembic upgrade head",
             "sqlalchemy.exc.ProgrammingError: column \"confirmed_at\" does not exist\nHINT: Perhaps you meant "
             "to reference the column \"users.confirmed\".", 1),
            ("edit", "migrations/versions/0042_email_verified.py", "confirmed_at IS NOT NULL", "confirmed IS TRUE"),
            ("shell", "alembic upgrade head", "INFO  [alembic.runtime.migration] Running upgrade 0041 -> 0042", 0),
        ]),
    dict(
        name="rate-limit", agent="codex", cwd="/home/dev/code/gateway", branch="feat/rate-limit", model="gpt-5",
        version="0.46.0", t0=datetime(2026, 5, 3, 11, 0, tzinfo=timezone.utc),
        steps=[
            ("user", "add token bucket rate limiting middleware to the Go API: 100 requests per minute per API key"),
            ("write", "internal/middleware/ratelimit.go",
             "package middleware\n\ntype TokenBucket struct {\n\ttokens   float64\n\tcapacity float64\n}\n\n"
             "func (b *TokenBucket) Allow() bool {\n\tif b.tokens < 1 {\n\t\treturn false\n\t}\n\tb.tokens--\n\treturn true\n}\n"),
            ("shell", "go test ./...", "ok  \tgateway/internal/middleware\t0.012s", 0),
            ("text", "Requests over the limit get 429 Too Many Requests with a Retry-After header."),
        ]),
    dict(
        name="css-sidebar", agent="claude", cwd="/home/dev/code/docs-site", branch="main",
        model="claude-sonnet-4-5", version="2.0.14", t0=datetime(2025, 12, 1, 15, 20, tzinfo=timezone.utc),
        title="Sidebar overlaps footer on mobile",
        steps=[
            ("user", "the sidebar overlaps the footer on mobile, fix the layout"),
            ("read", "styles/layout.css", ".sidebar {\n  position: fixed;\n  width: 240px;\n}\n"),
            ("edit", "styles/layout.css", ".sidebar {\n  position: fixed;",
             "@media (max-width: 640px) {\n  .sidebar { position: static; width: auto; }\n}\n.sidebar {\n  position: fixed;"),
            ("text", "On narrow screens the sidebar is now part of the flow, so the footer comes after it."),
        ]),
    dict(
        name="slow-search", agent="claude", cwd="/home/dev/code/search-svc", branch="perf/search",
        model="claude-opus-4-5", version="2.1.150", t0=datetime(2026, 10, 20, 13, 5, tzinfo=timezone.utc),
        title="Profile the slow search endpoint",
        steps=[
            ("user", "the /api/search endpoint is slow, p95 is 800ms. Profile it and fix the query"),
            ("shell", "psql -c \"EXPLAIN ANALYZE SELECT id FROM documents WHERE title ILIKE '%report%'\"",
             "Seq Scan on documents  (cost=0.00..48211.00 rows=120 width=8) (actual time=0.031..791.2 rows=98 loops=1)",
             0),
            ("write", "db/migrations/20261020_add_trgm_index.sql",
             "CREATE EXTENSION IF NOT EXISTS pg_trgm;\nCREATE INDEX CONCURRENTLY documents_title_trgm ON documents "
             "USING gin (title gin_trgm_ops);\n"),
            ("text", "The ILIKE did a sequential scan; a trigram index brings p95 down to 120ms."),
        ]),
    dict(
        name="readme-typos", agent="gemini", cwd="/home/dev/code/cli-tool", model="gemini-2.5-flash",
        t0=datetime(2026, 4, 1, 9, 0, tzinfo=timezone.utc),
        steps=[
            ("user", "fix the typos in README.md and CONTRIBUTING.md"),
            ("read", "README.md", "# cli-tool\n\nRun it with docker compose up, then open the dashbaord.\n"),
            ("edit", "README.md", "dashbaord", "dashboard"),
            ("text", "Fixed 'dashbaord' in README.md; CONTRIBUTING.md had none."),
        ]),
]


# --- writers ---------------------------------------------------------------------------------


def absolute(s, path):
    return path if path.startswith("/") else s["cwd"] + "/" + path


def write_claude(s):
    sid = uid(s["name"])
    folder = os.path.join(OUT, "claude", "projects", s["cwd"].replace("/", "-"))
    if s.get("parent"):
        folder = os.path.join(folder, uid(s["parent"]), "subagents")
        name = "agent-" + sid.split("-")[0]
        session_field = uid(s["parent"])
    else:
        name = sid
        session_field = sid
    os.makedirs(folder, exist_ok=True)
    base = dict(isSidechain=bool(s.get("parent")), userType="external", cwd=s["cwd"],
                sessionId=session_field, version=s["version"], gitBranch=s["branch"])
    lines, t, parent, n = [], s["t0"], None, 0

    def emit(rec):
        nonlocal parent, n
        n += 1
        u = uid(f"{s['name']}/{n}")
        lines.append(json.dumps(dict(parentUuid=parent, **base, **rec, uuid=u, timestamp=iso(t)),
                                separators=(",", ":")))
        parent = u

    def assistant(content):
        emit(dict(type="assistant", message=dict(id=f"msg_{n}", type="message", role="assistant",
                                                 model=s["model"], content=content)))

    def result(tool_id, content, extra, error=False):
        emit(dict(type="user", message=dict(role="user", content=[dict(
            tool_use_id=tool_id, type="tool_result", content=content, is_error=error)]),
            toolUseResult=extra))

    for i, st in enumerate(s["steps"]):
        t += timedelta(seconds=20)
        tool_id = f"toolu_{i:03d}{sid[:8]}"
        kind = st[0]
        if kind == "user":
            emit(dict(type="user", message=dict(role="user", content=st[1])))
        elif kind == "text":
            assistant([dict(type="text", text=st[1])])
        elif kind == "read":
            path = absolute(s, st[1])
            assistant([dict(type="tool_use", id=tool_id, name="Read", input=dict(file_path=path))])
            numbered = "\n".join(f"{k + 1:6d}\u2192{ln}" for k, ln in enumerate(st[2].split("\n")))
            result(tool_id, numbered, dict(type="text", file=dict(filePath=path, content=st[2])))
        elif kind == "write":
            path = absolute(s, st[1])
            assistant([dict(type="tool_use", id=tool_id, name="Write", input=dict(file_path=path, content=st[2]))])
            result(tool_id, f"File created successfully at: {path}",
                   dict(type="create", filePath=path, content=st[2]))
        elif kind == "edit":
            path = absolute(s, st[1])
            assistant([dict(type="tool_use", id=tool_id, name="Edit",
                            input=dict(file_path=path, old_string=st[2], new_string=st[3]))])
            result(tool_id, f"The file {path} has been updated.",
                   dict(filePath=path, oldString=st[2], newString=st[3], structuredPatch=[],
                        userModified=False, replaceAll=False))
        elif kind == "shell":
            _, cmd, output, code = st
            assistant([dict(type="tool_use", id=tool_id, name="Bash", input=dict(command=cmd))])
            body = output if code == 0 else f"Error: Exit code {code}\n{output}"
            result(tool_id, body, dict(stdout=output, stderr="", interrupted=False, isImage=False),
                   error=code != 0)
        elif kind == "grep":
            assistant([dict(type="tool_use", id=tool_id, name="Grep",
                            input=dict(pattern=st[1], path=s["cwd"], output_mode="content"))])
            result(tool_id, st[2], dict(mode="content", numFiles=2, content=st[2]))
    if s.get("title"):
        lines.insert(0, json.dumps(dict(type="summary", summary=s["title"], leafUuid=parent)))
    with open(os.path.join(folder, name + ".jsonl"), "w") as f:
        f.write("\n".join(lines) + "\n")


def write_codex(s):
    sid = uid(s["name"])
    t0 = s["t0"]
    folder = os.path.join(OUT, "codex", "sessions", t0.strftime("%Y"), t0.strftime("%m"), t0.strftime("%d"))
    os.makedirs(folder, exist_ok=True)
    lines, t = [], t0

    def emit(typ, payload):
        lines.append(json.dumps(dict(timestamp=iso(t), type=typ, payload=payload), separators=(",", ":")))

    emit("session_meta", dict(id=sid, timestamp=iso(t0), cwd=s["cwd"], originator="codex_cli_rs",
                              cli_version=s["version"], git=dict(branch=s["branch"], commit_hash="0" * 40)))
    for i, st in enumerate(s["steps"]):
        t += timedelta(seconds=20)
        call = f"call_{i:03d}{sid[:6]}"
        kind = st[0]

        def shell(cmd, output, code):
            emit("response_item", dict(type="function_call", name="shell", call_id=call, arguments=json.dumps(
                dict(command=["bash", "-lc", cmd], workdir=s["cwd"]))))
            emit("response_item", dict(type="function_call_output", call_id=call, output=json.dumps(
                dict(output=output, metadata=dict(exit_code=code, duration_seconds=1.2)))))

        def patch(body):
            emit("response_item", dict(type="custom_tool_call", status="completed", call_id=call,
                                       name="apply_patch", input="*** Begin Patch\n" + body + "*** End Patch\n"))
            emit("response_item", dict(type="custom_tool_call_output", call_id=call, output=json.dumps(
                dict(output="Success.", metadata=dict(exit_code=0, duration_seconds=0.0)))))

        if kind == "user":
            emit("turn_context", dict(cwd=s["cwd"], approval_policy="on-request", model=s["model"]))
            emit("response_item", dict(type="message", role="user", content=[dict(type="input_text", text=st[1])]))
            emit("event_msg", dict(type="user_message", message=st[1], images=[]))
        elif kind == "text":
            emit("response_item", dict(type="message", role="assistant", content=[dict(type="output_text", text=st[1])]))
        elif kind == "read":
            shell(f"cat {st[1]}", st[2], 0)
        elif kind == "shell":
            shell(st[1], st[2], st[3])
        elif kind == "write":
            patch(f"*** Add File: {st[1]}\n" + "".join(f"+{ln}\n" for ln in st[2].rstrip("\n").split("\n")))
        elif kind == "edit":
            patch(f"*** Update File: {st[1]}\n@@\n" + "".join(f"-{ln}\n" for ln in st[2].split("\n")) +
                  "".join(f"+{ln}\n" for ln in st[3].split("\n")))
    name = f"rollout-{t0.strftime('%Y-%m-%dT%H-%M-%S')}-{sid}.jsonl"
    with open(os.path.join(folder, name), "w") as f:
        f.write("\n".join(lines) + "\n")


def write_gemini(s):
    sid = uid(s["name"])
    h = hashlib.sha256(s["cwd"].encode()).hexdigest()
    folder = os.path.join(OUT, "gemini", "tmp", h)
    os.makedirs(os.path.join(folder, "chats"), exist_ok=True)
    with open(os.path.join(folder, ".project_root"), "w") as f:
        f.write(s["cwd"] + "\n")
    msgs, cur, t = [], None, s["t0"]
    files = {}
    for i, st in enumerate(s["steps"]):
        t += timedelta(seconds=20)
        ts = iso(t)
        kind = st[0]
        if kind == "user":
            msgs.append(dict(id=f"{sid}-{i}", timestamp=ts, type="user", content=st[1]))
            cur = None
            continue
        if cur is None:
            cur = dict(id=f"{sid}-{i}", timestamp=ts, type="gemini", content="", model=s["model"], toolCalls=[])
            msgs.append(cur)
        if kind == "text":
            cur["content"] += st[1]
        elif kind == "read":
            path = absolute(s, st[1])
            files[path] = st[2]
            cur["toolCalls"].append(dict(id=f"read-{i}", name="read_file", args=dict(absolute_path=path),
                                         status="success", timestamp=ts, result=[dict(functionResponse=dict(
                                             id=f"read-{i}", name="read_file", response=dict(output=st[2])))]))
        elif kind == "edit":
            path = absolute(s, st[1])
            orig = files.get(path, "")
            new = orig.replace(st[2], st[3], 1)
            files[path] = new
            cur["toolCalls"].append(dict(id=f"replace-{i}", name="replace", status="success", timestamp=ts,
                                         args=dict(file_path=path, old_string=st[2], new_string=st[3]),
                                         resultDisplay=dict(fileName=os.path.basename(path), originalContent=orig,
                                                            newContent=new)))
        elif kind == "shell":
            _, cmd, output, code = st
            cur["toolCalls"].append(dict(id=f"shell-{i}", name="run_shell_command", args=dict(command=cmd),
                                         status="success", timestamp=ts, result=[dict(functionResponse=dict(
                                             id=f"shell-{i}", name="run_shell_command", response=dict(
                                                 output=f"Command: {cmd}\nStdout: {output}\nExit Code: {code}")))]))
    doc = dict(sessionId=sid, projectHash=h, startTime=iso(s["t0"]), lastUpdated=msgs[-1]["timestamp"],
               messages=msgs)
    name = f"session-{s['t0'].strftime('%Y-%m-%dT%H-%M')}-{sid[:8]}.json"
    with open(os.path.join(folder, "chats", name), "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")


def main():
    shutil.rmtree(OUT, ignore_errors=True)
    for s in SESSIONS:
        {"claude": write_claude, "codex": write_codex, "gemini": write_gemini}[s["agent"]](s)
    ids = {s["name"]: s["agent"] + ":" + (("agent-" + uid(s["name"]).split("-")[0]) if s.get("parent")
                                          else uid(s["name"])) for s in SESSIONS}
    with open(os.path.join(OUT, "ids.json"), "w") as f:
        json.dump(ids, f, indent=1)
        f.write("\n")
    print(f"wrote {len(SESSIONS)} sessions under {os.path.relpath(OUT)}")


if __name__ == "__main__":
    main()
