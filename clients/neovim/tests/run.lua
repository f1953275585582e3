-- Headless tests of mantra.nvim against a real `mantra serve` on the fixture sessions.
-- Run by tests/run.sh (which indexes the fixtures and sets MANTRA_TEST_*). Each test prints
-- its name and PASS/FAIL; the file ends with `qall!` when all passed, else `cquit 1` (an error
-- before that point leaves the `-c 'cquit 1'` of run.sh to fail the run).
local BIN = assert(os.getenv("MANTRA_TEST_BIN"), "MANTRA_TEST_BIN is not set (use tests/run.sh)")
local DB = assert(os.getenv("MANTRA_TEST_DB"), "MANTRA_TEST_DB is not set")
local FIXTURES = assert(os.getenv("MANTRA_TEST_FIXTURES"), "MANTRA_TEST_FIXTURES is not set")
local TMP = assert(os.getenv("MANTRA_TEST_TMP"), "MANTRA_TEST_TMP is not set")
local ONLY = os.getenv("MANTRA_TEST_ONLY") -- a Lua pattern: run only the tests whose name matches

vim.cmd("runtime! plugin/mantra.lua")
vim.o.hidden = true

local uv = vim.loop
local passed, failed, skipped = 0, 0, 0
local t_start = uv.hrtime()

local function out(s)
  io.stdout:write(s .. "\n")
  io.stdout:flush()
end

-- --- messages ------------------------------------------------------------------------------

local messages = {}
vim.notify = function(msg, level)
  table.insert(messages, { msg = tostring(msg), level = level or vim.log.levels.INFO })
end

local function take_messages()
  local m = messages
  messages = {}
  return m
end

local function has_message(pattern, plain)
  for _, m in ipairs(messages) do
    if m.msg:find(pattern, 1, plain) then
      return m
    end
  end
end

-- --- assertions and helpers ----------------------------------------------------------------

local function fail(msg)
  error(msg, 0)
end

local function eq(got, want, what)
  if not vim.deep_equal(got, want) then
    fail(("%s:\n      want %s\n      got  %s"):format(what, vim.inspect(want), vim.inspect(got)))
  end
end

local function ok(cond, what)
  if not cond then
    fail(what)
  end
end

local function wait_for(cond, what, ms)
  if not vim.wait(ms or 5000, cond, 10) then
    fail("timed out waiting for " .. what)
  end
end

local function wait_message(pattern, plain, what)
  wait_for(function()
    return has_message(pattern, plain) ~= nil
  end, what or ("a message matching " .. pattern))
  return has_message(pattern, plain)
end

-- The CLI, for expected values: JSON output decoded, or raw stdout.
local function cli_raw(args)
  local cmd = { BIN, "--db", DB }
  vim.list_extend(cmd, args)
  local s = vim.fn.system(cmd)
  if vim.v.shell_error ~= 0 then
    fail(("`mantra %s` failed: %s"):format(table.concat(args, " "), s))
  end
  return s
end

local function cli(args)
  table.insert(args, 2, "--json")
  return vim.json.decode(cli_raw(args), { luanil = { object = true } })
end

local function lines_of(text)
  return require("mantra.ui").lines(text)
end

local function buf_lines(buf)
  return vim.api.nvim_buf_get_lines(buf, 0, -1, false)
end

local function win_by_name(name)
  for _, w in ipairs(vim.api.nvim_tabpage_list_wins(0)) do
    if vim.api.nvim_buf_get_name(vim.api.nvim_win_get_buf(w)) == name then
      return w
    end
  end
end

local function setup(extra)
  require("mantra").setup(vim.tbl_extend("force", { cmd = BIN, db = DB, background_index = false }, extra or {}))
end

local function fresh_screen()
  vim.cmd("silent! tabonly!")
  vim.cmd("silent! only!")
  vim.cmd("enew!")
  for _, b in ipairs(vim.api.nvim_list_bufs()) do
    if b ~= vim.api.nvim_get_current_buf() then
      pcall(vim.api.nvim_buf_delete, b, { force = true })
    end
  end
end

local function server_has(method)
  require("mantra.rpc").request_sync("mantra/status")
  local info = require("mantra.rpc").info()
  return info and vim.tbl_contains(info.capabilities.methods, method)
end

-- The methods a test depends on: a server without them fails the test at once, saying so.
local function need(...)
  for _, m in ipairs({ ... }) do
    if not server_has(m) then
      fail(("this mantra serve lacks %s (a server gap, not a client bug)"):format(m))
    end
  end
end

local function test(name, fn)
  if ONLY and not name:find(ONLY) then
    return
  end
  fresh_screen()
  take_messages()
  vim.v.errmsg = ""
  local t0 = uv.hrtime()
  local okk, err = pcall(fn)
  if okk then
    -- every test: no Lua traceback reached the user, by message or by error
    for _, m in ipairs(messages) do
      if m.msg:find("traceback", 1, true) or m.msg:find("%.lua:%d+:") then
        okk, err = false, "a message shows a Lua error: " .. m.msg
      end
    end
    if vim.v.errmsg ~= "" then
      okk, err = false, "an error reached Neovim: " .. vim.v.errmsg
    end
  end
  local ms = (uv.hrtime() - t0) / 1e6
  if okk == "skip" or err == "skip" then
    skipped = skipped + 1
    out(("SKIP  %s"):format(name))
  elseif okk then
    passed = passed + 1
    out(("PASS  %s  (%d ms)"):format(name, ms))
  else
    failed = failed + 1
    out(("FAIL  %s  (%d ms)\n      %s"):format(name, ms, tostring(err)))
    for _, m in ipairs(messages) do
      out("      message: " .. m.msg)
    end
  end
end

-- --- fixtures ------------------------------------------------------------------------------

local CLAUDE = cli({ "sessions", "--agent", "claude" }).sessions[1]
local ID = CLAUDE.id
-- The claude session's project folder. It is a scratch path of the machine that generated the
-- fixtures; made here (empty) when missing, so it can be the working folder, and removed after.
local PROJECT = CLAUDE.project
local made_project = vim.fn.isdirectory(PROJECT) == 0
if made_project then
  vim.fn.mkdir(PROJECT, "p")
end

setup()

-- --- tests ---------------------------------------------------------------------------------

test("config: unknown options and wrong types warn, the defaults stay", function()
  local config = require("mantra.config")
  config.set({ nosuch = 1, timeout = "soon", replay = { max_output_lines = 3, bogus = true } })
  vim.wait(50, function()
    return false
  end)
  ok(has_message("unknown option 'nosuch'", true), "no warning for an unknown option")
  ok(has_message("option 'timeout' must be a number", true), "no warning for a wrong type")
  ok(has_message("unknown option 'replay.bogus'", true), "no warning for an unknown nested option")
  eq(config.get().timeout, 10000, "timeout keeps its default")
  eq(config.get().replay.max_output_lines, 3, "a valid nested option applies")
  eq(config.get().replay.keys.next, "]s", "nested defaults are kept")
  setup()
  take_messages()
end)

test(":checkhealth mantra reports OK", function()
  vim.cmd("silent checkhealth mantra")
  local text = table.concat(buf_lines(0), "\n")
  vim.cmd("tabclose")
  for _, want in ipairs({ "executable: " .. BIN, "server: mantra", "protocol: the server serves", "database: " .. DB }) do
    ok(text:find("OK[^\n]*" .. vim.pesc(want)), ("no OK line with %q in:\n%s"):format(want, text))
  end
  ok(not text:find("ERROR"), "an ERROR line in:\n" .. text)
end)

test(":MantraFind apply_patch lists the CLI's hits; choosing one opens that session at that step", function()
  local want = cli({ "search", "--limit", "50", "apply_patch" }).hits
  local items, format
  vim.ui.select = function(list, opts, on_choice)
    items, format = list, opts.format_item
    on_choice(list[1], 1)
  end
  vim.cmd("MantraFind apply_patch")
  wait_for(function()
    return items ~= nil
  end, "vim.ui.select")
  eq(#items, #want, "number of hits")
  for i, hit in ipairs(items) do
    eq({ hit.session, hit.seq }, { want[i].session, want[i].seq }, "hit " .. i)
  end
  ok(format(items[1]):find(want[1].title:sub(1, 20), 1, true), "the item shows the title: " .. format(items[1]))
  local name = "mantra://" .. want[1].session
  wait_for(function()
    return vim.api.nvim_buf_get_name(0) == name and vim.b.mantra_seq == want[1].seq
  end, ("%s at step %d"):format(name, want[1].seq))
  local line = vim.api.nvim_get_current_line()
  ok(line:find("^#" .. want[1].seq .. " "), "the cursor is not on the step's header: " .. line)
end)

test(":MantraFind with a malformed query shows the server's message", function()
  vim.cmd('MantraFind "open')
  wait_message("mantra: params.query: unclosed quote at column 1", true)
end)

test(":MantraSessions lists this project's sessions, newest first; <CR> replays one", function()
  vim.cmd("cd " .. vim.fn.fnameescape(PROJECT))
  vim.cmd("MantraSessions")
  wait_for(function()
    return vim.api.nvim_buf_get_name(0) == "mantra://sessions"
  end, "the sessions buffer")
  local want = cli({ "sessions", "--project", PROJECT }).sessions
  local ids = {}
  for _, l in ipairs(buf_lines(0)) do
    table.insert(ids, l:match("(%S+)$"))
  end
  local got = {}
  for i = 3, #ids do
    table.insert(got, ids[i])
  end
  local exp = {}
  for _, s in ipairs(want) do
    table.insert(exp, s.id)
  end
  eq(got, exp, "session ids")
  vim.api.nvim_win_set_cursor(0, { 3, 0 })
  vim.cmd('exe "normal \\<CR>"')
  wait_for(function()
    return vim.api.nvim_buf_get_name(0) == "mantra://" .. exp[1]
  end, "the replay of the session under the cursor")
  vim.cmd("cd -")
end)

test(":MantraSessions! lists every project's sessions in the CLI's order", function()
  vim.cmd("MantraSessions!")
  wait_for(function()
    return vim.api.nvim_buf_get_name(0) == "mantra://sessions"
  end, "the sessions buffer")
  local lines = buf_lines(0)
  for i, s in ipairs(cli({ "sessions" }).sessions) do
    ok(lines[i + 2] and lines[i + 2]:find(s.id, 1, true), ("line %d is not %s: %s"):format(i + 2, s.id, tostring(lines[i + 2])))
  end
end)

test(":MantraReplay without a session opens the latest one of the working folder's project", function()
  vim.cmd("cd " .. vim.fn.fnameescape(PROJECT))
  vim.cmd("MantraReplay")
  wait_for(function()
    return vim.api.nvim_buf_get_name(0) == "mantra://" .. ID
  end, "mantra://" .. ID)
  vim.cmd("cd -")
  local lines = buf_lines(0)
  eq(lines[1], CLAUDE.title, "the first line is the title")
  eq(vim.bo.buftype, "nofile", "buftype")
  eq(vim.bo.modifiable, false, "modifiable")
  -- every step of the session is there, in order, with its number
  local seqs = {}
  for _, l in ipairs(lines) do
    local n = l:match("^#(%d+) ")
    if n then
      table.insert(seqs, tonumber(n))
    end
  end
  local want = {}
  for _, e in ipairs(cli({ "show", ID }).events) do
    if e.kind ~= "meta" then
      table.insert(want, e.seq)
    end
  end
  eq(seqs, want, "the steps shown")
end)

test(":MantraReplay: ]s/[s step; an edit step opens the file = `mantra file`, in diff mode against the step before", function()
  need("mantra/diff", "mantra/fileAt")
  vim.cmd("MantraReplay " .. ID:sub(1, 11))
  wait_for(function()
    return vim.api.nvim_buf_get_name(0) == "mantra://" .. ID
  end, "the conversation")
  local conv, cwin = vim.api.nvim_get_current_buf(), vim.api.nvim_get_current_win()
  vim.cmd("normal ]s")
  eq(vim.b.mantra_seq, 1, "]s from the top goes to the first step")
  ok(vim.api.nvim_get_current_line():find("^#1 you"), "cursor on #1: " .. vim.api.nvim_get_current_line())
  local marks = vim.api.nvim_buf_get_extmarks(conv, vim.api.nvim_create_namespace("mantra_current_step"), 0, -1, {})
  eq(#marks, 1, "one current-step highlight")
  eq(marks[1][2], vim.api.nvim_win_get_cursor(0)[1] - 1, "the highlight is on the current step")
  for seq = 2, 9 do
    vim.cmd("normal ]s")
    eq(vim.b.mantra_seq, seq, "]s moves one step")
  end
  local d = cli({ "diff", ID, "9" }).diffs[1]
  local after_name = ("mantra://%s/%d/%s"):format(ID, 9, d.path)
  local before_name = ("mantra://%s/%d/%s"):format(ID, d.from, d.path)
  wait_for(function()
    return win_by_name(after_name) and win_by_name(before_name)
  end, "the split with " .. after_name .. " and " .. before_name)
  local after, before = win_by_name(after_name), win_by_name(before_name)
  local abuf, bbuf = vim.api.nvim_win_get_buf(after), vim.api.nvim_win_get_buf(before)
  eq(buf_lines(abuf), lines_of(cli_raw({ "file", ID, "9", d.path })), "lines after step 9 = `mantra file " .. ID .. " 9`")
  eq(buf_lines(bbuf), lines_of(cli_raw({ "file", ID, tostring(d.from), d.path })), "lines before = `mantra file` at " .. d.from)
  ok(vim.wo[after].diff and vim.wo[before].diff, "diff mode is not on in both windows")
  eq(vim.bo[abuf].buftype, "nofile", "buftype")
  eq(vim.bo[abuf].filetype, "python", "filetype from the path")
  eq(vim.bo[abuf].modifiable, false, "modifiable")
  eq(vim.api.nvim_get_current_win(), cwin, "the cursor stays in the conversation")
  -- back to an answer: the split goes away
  vim.cmd("normal [s")
  eq(vim.b.mantra_seq, 8, "[s moves back one step")
  wait_for(function()
    return not win_by_name(after_name)
  end, "the split to close on a step with nothing to show")
  -- a count works too, and the next edit step reuses the layout
  vim.cmd("normal 3]s")
  eq(vim.b.mantra_seq, 11, "3]s moves three steps")
  wait_for(function()
    return win_by_name(("mantra://%s/11/%s"):format(ID, d.path))
  end, "the file at step 11")
  eq(#vim.api.nvim_tabpage_list_wins(0), 3, "windows: conversation, before, after")
end)

test(":MantraReplay: a shell step shows the command, its exit code and output", function()
  vim.cmd("MantraReplay " .. ID .. " 15")
  local name = ("mantra://%s/15"):format(ID)
  wait_for(function()
    return win_by_name(name)
  end, name)
  local header = vim.api.nvim_get_current_line()
  ok(header:find("^#15 %$ python3 %-m unittest%s+exit 1"), "conversation header: " .. header)
  local text = table.concat(buf_lines(vim.api.nvim_win_get_buf(win_by_name(name))), "\n")
  ok(text:find("$ python3 -m unittest", 1, true), "no command in:\n" .. text)
  ok(text:find("exit code: 1", 1, true), "no exit code in:\n" .. text)
  ok(text:find("FAILED (failures=1)", 1, true), "no output in:\n" .. text)
end)

test(":edit mantra://<session>/<seq>/<path> loads `mantra file` (BufReadCmd), read-only, with its filetype", function()
  need("mantra/diff", "mantra/fileAt")
  vim.cmd("edit mantra://" .. ID .. "/11/calc/cli.py")
  eq(buf_lines(0), lines_of(cli_raw({ "file", ID, "11", "calc/cli.py" })), "lines")
  eq(vim.bo.buftype, "nofile", "buftype")
  eq(vim.bo.filetype, "python", "filetype")
  eq(vim.bo.modifiable, false, "modifiable")
  vim.cmd("edit mantra://" .. ID)
  eq(vim.api.nvim_buf_get_lines(0, 0, 1, false)[1], CLAUDE.title, "mantra://<session> is the conversation")
  vim.cmd("edit mantra://" .. ID .. "/46")
  ok(table.concat(buf_lines(0), "\n"):find("add(2, 3) = 5", 1, true), "mantra://<session>/<seq> is the step")
end)

test(":mksession: mantra:// windows come back with their content", function()
  need("mantra/diff", "mantra/fileAt")
  vim.cmd("edit mantra://" .. ID)
  vim.cmd("split mantra://" .. ID .. "/11/calc/cli.py")
  local session = TMP .. "/session.vim"
  vim.cmd("mksession! " .. vim.fn.fnameescape(session))
  fresh_screen()
  vim.cmd("silent source " .. vim.fn.fnameescape(session))
  local conv = win_by_name("mantra://" .. ID)
  local file = win_by_name("mantra://" .. ID .. "/11/calc/cli.py")
  ok(conv and file, "the windows are not restored")
  local cbuf, fbuf = vim.api.nvim_win_get_buf(conv), vim.api.nvim_win_get_buf(file)
  eq(vim.api.nvim_buf_get_lines(cbuf, 0, 1, false)[1], CLAUDE.title, "the conversation")
  eq(buf_lines(fbuf), lines_of(cli_raw({ "file", ID, "11", "calc/cli.py" })), "the file")
  eq({ vim.bo[fbuf].buftype, vim.bo[fbuf].filetype }, { "nofile", "python" }, "buftype, filetype")
end)

test(":MantraDiff shows `mantra diff`; :MantraFile opens the file at a step", function()
  need("mantra/diff", "mantra/fileAt")
  vim.cmd("MantraDiff " .. ID .. " 11")
  local name = ("mantra://%s/11.diff"):format(ID)
  wait_for(function()
    return vim.api.nvim_buf_get_name(0) == name
  end, name)
  eq(buf_lines(0), lines_of(cli({ "diff", ID, "11" }).diffs[1].diff), "diff lines")
  eq(vim.bo.filetype, "diff", "filetype")
  vim.cmd("MantraFile " .. ID:sub(1, 11) .. " 13 tests/test_cli.py")
  name = ("mantra://%s/13/tests/test_cli.py"):format(ID)
  wait_for(function()
    return vim.api.nvim_buf_get_name(0) == name
  end, name)
  eq(buf_lines(0), lines_of(cli_raw({ "file", ID, "13", "tests/test_cli.py" })), "file lines")
end)

-- A buffer named like the file the agent edited, holding its final content.
local function agent_file()
  local content = cli_raw({ "file", ID, "47", "calc/cli.py" })
  vim.api.nvim_buf_set_name(0, PROJECT .. "/calc/cli.py")
  vim.api.nvim_buf_set_lines(0, 0, -1, false, lines_of(content))
  vim.bo.modified = false
  vim.fn.search("--verbose")
end

test(":MantraOrigin on an agent-written line shows its prompt; <CR> replays from that step", function()
  ok(server_has("mantra/origin"), "the server does not list mantra/origin")
  agent_file()
  vim.cmd("MantraOrigin")
  local origin = require("mantra.origin")
  wait_for(function()
    return origin.last().buf and vim.api.nvim_buf_is_valid(origin.last().buf)
  end, "the origin float")
  local text = table.concat(buf_lines(origin.last().buf), "\n")
  ok(text:find(CLAUDE.title, 1, true), "the prompt is not in the float:\n" .. text)
  ok(text:find("step #9", 1, true), "the step is not in the float:\n" .. text)
  ok(text:find("_I'll add the flag to the parser first._", 1, true), "no explanation:\n" .. text)
  eq(origin.last().result.origin.confidence, "exact", "confidence")
  vim.cmd("MantraOrigin") -- enters the float
  vim.cmd('exe "normal \\<CR>"')
  wait_for(function()
    return vim.api.nvim_buf_get_name(0) == "mantra://" .. ID
  end, "the replay")
end)

test(":MantraOrigin on a server without mantra/origin says so clearly", function()
  local rpc = require("mantra.rpc")
  local info = assert(rpc.info() or (rpc.request_sync("mantra/status") and rpc.info()))
  local methods = info.capabilities.methods
  -- a server that has it: pretend it does not (the client checks the capabilities first)
  info.capabilities.methods = vim.tbl_filter(function(m)
    return m ~= "mantra/origin"
  end, methods)
  agent_file()
  local okk, e = pcall(function()
    vim.cmd("MantraOrigin")
    local m = wait_message("origin lookup is not available in this mantra version", true)
    eq(m.level, vim.log.levels.WARN, "level")
  end)
  info.capabilities.methods = methods
  if not okk then
    error(e, 0)
  end
  -- and straight from the wire when the server answers MethodNotFound
  take_messages()
  local r, err = rpc.request_sync("mantra/origin", { path = PROJECT .. "/calc/cli.py", line = 1 })
  if err then
    eq(err.code, -32601, "error code")
    require("mantra.ui").error(err, require("mantra.origin").FEATURE)
    ok(has_message("mantra: origin lookup is not available in this mantra version", true), "message")
  else
    ok(r.origin ~= nil or r.reason ~= nil, "an origin result")
  end
end)

test("origin.hover: CursorHold shows the float, or stays silent when the server has no origin", function()
  setup({ origin = { hover = true } })
  agent_file()
  local origin = require("mantra.origin")
  local before = origin.last().buf
  vim.cmd("doautocmd CursorHold")
  if server_has("mantra/origin") then
    wait_for(function()
      return origin.last().buf ~= before and origin.last().win and vim.api.nvim_win_is_valid(origin.last().win)
    end, "the origin float")
    ok(vim.api.nvim_get_current_win() ~= origin.last().win, "CursorHold must not enter the float")
  else
    vim.wait(300, function()
      return #messages > 0
    end)
    eq(#messages, 0, "messages on CursorHold")
  end
  setup()
end)

test("errors: a bad session id gives the server's message, no traceback", function()
  vim.cmd("MantraReplay nosuch")
  local m = wait_message("mantra: no session matches 'nosuch'", true)
  eq(m.level, vim.log.levels.ERROR, "level")
  take_messages()
  vim.cmd("edit mantra://nosuch/4")
  wait_message("no session matches 'nosuch'", true)
  if server_has("mantra/fileAt") then
    take_messages()
    vim.cmd("MantraFile nosuch 3 calc/cli.py")
    wait_message("no session matches 'nosuch'", true)
  end
end)

test("errors: wrong arguments give the command's usage", function()
  vim.cmd("MantraFile " .. ID .. " x calc/cli.py")
  ok(has_message("usage: :MantraFile {session} {seq} {path}", true), "no usage message")
  vim.cmd("MantraDiff " .. ID)
  ok(has_message("usage: :MantraDiff {session} {seq}", true), "no usage message")
  vim.cmd("MantraReplay " .. ID .. " -2")
  ok(has_message("usage: :MantraReplay [session] [seq]", true), "no usage message")
end)

test("errors: a missing server binary gives a clear message; :checkhealth reports it", function()
  require("mantra.rpc").stop()
  setup({ cmd = TMP .. "/no/such/mantra" })
  vim.cmd("MantraSessions")
  local m = wait_message("cannot start the server: '" .. TMP .. "/no/such/mantra' is not an executable", true)
  eq(m.level, vim.log.levels.ERROR, "level")
  ok(m.msg:find("setup", 1, true), "the message says what to set: " .. m.msg)
  vim.cmd("silent checkhealth mantra")
  local text = table.concat(buf_lines(0), "\n")
  vim.cmd("tabclose")
  ok(text:find("ERROR[^\n]*mantra executable not found"), "checkhealth does not report it:\n" .. text)
  setup()
end)

test("errors: a server that dies is reported, and the next command starts a new one", function()
  local rpc = require("mantra.rpc")
  rpc.stop()
  setup({ cmd = "false" }) -- starts, then exits 1 at once
  vim.cmd("MantraSessions")
  local m = wait_message("the server exited (code 1)", true)
  ok(m.level >= vim.log.levels.WARN, "level")
  eq(rpc.running(), false, "running")
  setup()
  take_messages()
  vim.cmd("MantraSessions!")
  wait_for(function()
    return vim.api.nvim_buf_get_name(0) == "mantra://sessions"
  end, "the sessions buffer from a new server")
end)

test("notifications: indexProgress and sessionsChanged refresh :MantraSessions", function()
  local rpc = require("mantra.rpc")
  rpc.stop()
  setup({ db = TMP .. "/notify.db" })
  local ended, changed = nil, nil
  rpc.on("mantra/indexProgress", function(p)
    if p.state == "end" then
      ended = p
    end
  end)
  vim.api.nvim_create_autocmd("User", {
    pattern = "MantraSessionsChanged",
    once = true,
    callback = function()
      changed = true
    end,
  })
  vim.cmd("MantraSessions!")
  wait_for(function()
    return vim.api.nvim_buf_get_name(0) == "mantra://sessions"
  end, "the sessions buffer")
  ok(table.concat(buf_lines(0), "\n"):find("(none", 1, true), "an empty database lists no session")
  local r, err = rpc.request_sync("mantra/reindex", { paths = { FIXTURES .. "/gemini/home" } })
  ok(r and r.started, "reindex did not start: " .. vim.inspect(err))
  wait_for(function()
    return ended and changed
  end, "the end of the index run and mantra/sessionsChanged")
  eq(ended.outcome, "done", "outcome")
  wait_for(function()
    return table.concat(buf_lines(0), "\n"):find("gemini:", 1, true) ~= nil
  end, "the sessions buffer to show the new session")
  rpc.stop()
  setup()
end)

test("lifecycle: the server starts on first use and VimLeavePre stops it", function()
  local rpc = require("mantra.rpc")
  rpc.stop()
  eq(rpc.running(), false, "no server before first use")
  local r = rpc.request_sync("mantra/status")
  ok(r and r.sessions == #cli({ "sessions" }).sessions, "status after a lazy start")
  ok(rpc.running(), "the server runs")
  local pid = rpc.pid()
  vim.cmd("doautocmd VimLeavePre")
  eq(rpc.running(), false, "the server still runs after VimLeavePre")
  if pid then
    wait_for(function()
      return uv.kill(pid, 0) ~= 0
    end, "process " .. pid .. " to end", 2000)
  end
end)

-- telescope.nvim is not packaged for Debian: a stand-in with the API the extension uses
-- (register_extension, pickers.new():find(), finders.new_table, select_default:replace, …).
local function fake_telescope()
  local t = { pickers = {} }
  package.preload["telescope"] = function()
    return { register_extension = function(ext) return ext end }
  end
  package.preload["telescope.pickers"] = function()
    return { new = function(_, spec) return { find = function() table.insert(t.pickers, spec) end } end }
  end
  package.preload["telescope.finders"] = function()
    return {
      new_table = function(o)
        return { entries = vim.tbl_map(o.entry_maker, o.results) }
      end,
    }
  end
  package.preload["telescope.config"] = function()
    return { values = { generic_sorter = function() return {} end } }
  end
  package.preload["telescope.actions"] = function()
    return {
      select_default = { replace = function(_, fn) t.select = fn end },
      close = function() t.closed = true end,
    }
  end
  package.preload["telescope.actions.state"] = function()
    return { get_selected_entry = function() return t.selected end }
  end
  package.preload["telescope.previewers"] = function()
    return { new_buffer_previewer = function(spec) return spec end }
  end
  return t
end

test("telescope extension: search and sessions pickers with the server's results", function()
  local t = fake_telescope()
  local ext = require("telescope._extensions.mantra")
  ext.exports.mantra({ query = "apply_patch" })
  wait_for(function()
    return #t.pickers == 1
  end, "the search picker")
  local want = cli({ "search", "--limit", "50", "apply_patch" }).hits
  local entries = t.pickers[1].finder.entries
  eq(#entries, #want, "entries")
  eq({ entries[1].value.session, entries[1].value.seq }, { want[1].session, want[1].seq }, "first entry")
  local pbuf = vim.api.nvim_create_buf(false, true)
  t.pickers[1].previewer.define_preview({ state = { bufnr = pbuf } }, entries[1])
  eq(vim.api.nvim_buf_get_lines(pbuf, 0, 1, false)[1], want[1].title, "preview")
  ok(t.pickers[1].attach_mappings(1, function() end), "attach_mappings returns true")
  t.selected = entries[1]
  t.select()
  wait_for(function()
    return vim.api.nvim_buf_get_name(0) == "mantra://" .. want[1].session and vim.b.mantra_seq == want[1].seq
  end, "the replay at the chosen hit")
  ext.exports.sessions({ all = true })
  wait_for(function()
    return #t.pickers == 2
  end, "the sessions picker")
  eq(#t.pickers[2].finder.entries, #cli({ "sessions" }).sessions, "sessions")
end)

test(":help mantra: the tags build and every command has one", function()
  local dir = TMP .. "/doc-test"
  vim.fn.mkdir(dir .. "/doc", "p")
  vim.fn.writefile(vim.fn.readfile(vim.api.nvim_get_runtime_file("doc/mantra.txt", false)[1]), dir .. "/doc/mantra.txt")
  vim.cmd("helptags " .. vim.fn.fnameescape(dir .. "/doc"))
  local tags = {}
  for _, l in ipairs(vim.fn.readfile(dir .. "/doc/tags")) do
    tags[l:match("^(%S+)")] = true
  end
  for _, t in ipairs({ "mantra", "mantra-config", "mantra-mappings", "mantra.setup()", ":MantraFind", ":MantraReplay",
    ":MantraSessions", ":MantraFile", ":MantraDiff", ":MantraOrigin", "<Plug>(mantra-origin)", "mantra-]s" }) do
    ok(tags[t], "no help tag " .. t)
  end
  -- every |link| to a mantra tag resolves
  for _, l in ipairs(vim.fn.readfile(dir .. "/doc/mantra.txt")) do
    for link in l:gmatch("|([^|%s]+)|") do
      if link:lower():find("mantra") then
        ok(tags[link], "a link to a missing tag: |" .. link .. "|")
      end
    end
  end
end)

-- --- summary -------------------------------------------------------------------------------

if made_project then
  vim.fn.delete(PROJECT, "d")
  vim.fn.delete(vim.fn.fnamemodify(PROJECT, ":h"), "d") -- only when empty
end
out(("%d passed, %d failed, %d skipped in %.1f s (Neovim %s)"):format(
  passed,
  failed,
  skipped,
  (uv.hrtime() - t_start) / 1e9,
  ("%d.%d.%d"):format(vim.version().major, vim.version().minor, vim.version().patch)
))
vim.cmd(failed == 0 and "qall!" or "cquit 1")
