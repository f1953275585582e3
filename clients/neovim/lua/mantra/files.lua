-- Past file versions and diffs: the read-only `mantra://<session>/<seq>/<path>` buffers,
-- :MantraFile, :MantraDiff, and the BufReadCmd that makes `:edit mantra://…` work.
--
-- Buffer names (the first is the server's own `uri`, see protocol/README.md, mantra/fileAt):
--   mantra://<session>/<seq>/<path>   the file as it stood after step <seq>
--   mantra://<session>/<seq>.diff     the unified diff step <seq> made
--   mantra://<session>/<seq>          one step in full (shell: command, exit code, output)
--   mantra://<session>                the conversation (see replay.lua)
--   mantra://sessions                 the project's sessions (see sessions.lua)
local rpc = require("mantra.rpc")
local ui = require("mantra.ui")
local compat = require("mantra.compat")

local M = {}

-- The server percent-encodes some bytes of a URI (space, %, #, ?); any part may be encoded.
local function decode(s)
  return (s:gsub("%%(%x%x)", function(h)
    return string.char(tonumber(h, 16))
  end))
end

---Splits a mantra:// name into its parts (percent-decoded); nil when it is not one.
---@param name string
---@return table|nil {session, seq?, path?, diff?}
function M.parse(name)
  local rest = name:match("^mantra://(.*)$")
  if not rest or rest == "" then
    return nil
  end
  if rest == "sessions" then
    return { sessions = true }
  end
  local session, tail = rest:match("^([^/]+)/?(.*)$")
  if not session then
    return nil
  end
  session = decode(session)
  if tail == "" then
    return { session = session }
  end
  local seq = tail:match("^(%d+)$")
  if seq then
    return { session = session, seq = tonumber(seq) }
  end
  seq = tail:match("^(%d+)%.diff$")
  if seq then
    return { session = session, seq = tonumber(seq), diff = true }
  end
  local path
  seq, path = tail:match("^(%d+)/(.+)$")
  if seq then
    return { session = session, seq = tonumber(seq), path = decode(path) }
  end
  return nil
end

---Fills `buf` with a mantra/fileAt result: content (empty when unknown or absent, the reason
---as virtual text), filetype from the path, the result in b:mantra.
---@param buf integer
---@param r table the fileAt result
function M.fill(buf, r)
  local content = r.content
  if content == vim.NIL then
    content = nil
  end
  ui.set_lines(buf, ui.lines(content))
  ui.make_scratch(buf)
  compat.set_filetype(buf, r.path, r.languageId ~= "plaintext" and r.languageId or nil)
  vim.b[buf].mantra = {
    session = r.session,
    seq = r.seq,
    stateSeq = r.stateSeq,
    path = r.path,
    base = r.base,
    exact = r.exact,
    exists = r.exists,
    reason = r.reason,
  }
  vim.api.nvim_buf_clear_namespace(buf, ui.ns, 0, -1)
  local note
  if content == nil then
    if r.exists == false then
      note = r.seq == 0 and ("%s did not exist before the session"):format(r.path)
        or ("%s does not exist after step %d"):format(r.path, r.seq)
    else
      note = ("content unknown: %s"):format(r.reason or "no base")
    end
  elseif not r.exact then
    note = "not exact: " .. (r.reason or ("base " .. tostring(r.base)))
  end
  if note then
    vim.api.nvim_buf_set_extmark(buf, ui.ns, 0, 0, { virt_text = { { note, "MantraDim" } }, virt_text_pos = "eol" })
  end
end

---The buffer for a fileAt result (named by its uri), created or refreshed.
---@param r table
---@param bufhidden string|nil
---@return integer
function M.buffer(r, bufhidden)
  local buf = ui.scratch(r.uri)
  M.fill(buf, r)
  if bufhidden then
    vim.bo[buf].bufhidden = bufhidden
  end
  return buf
end

---Asks for a file at a step. `cb(err, result)`.
---@param session string
---@param seq integer
---@param path string
---@param cb fun(err: MantraError|nil, result: table|nil)
function M.file_at(session, seq, path, cb)
  rpc.request("mantra/fileAt", { session = session, seq = seq, path = path }, cb)
end

local function diff_lines(r)
  local lines = {}
  for _, d in ipairs(r.diffs or {}) do
    if d.diff ~= nil and d.diff ~= vim.NIL then
      vim.list_extend(lines, ui.lines(d.diff))
    else
      table.insert(lines, ("# %s (%d → %d): %s"):format(d.path, d.from, d.to, d.reason or "no diff"))
    end
    if d.exact == false and d.diff ~= nil and d.diff ~= vim.NIL then
      table.insert(lines, ("# not exact: %s"):format(d.reason or "see mantra verify"))
    end
  end
  if #lines == 0 then
    table.insert(lines, ("# step %s changed no file"):format(tostring(r.seq or "")))
  end
  return lines
end

local function fill_diff(buf, r, seq)
  r.seq = seq
  ui.set_lines(buf, diff_lines(r))
  ui.make_scratch(buf)
  vim.bo[buf].filetype = "diff"
  vim.b[buf].mantra = { session = r.session, seq = seq }
end

-- Full detail of one step (mantra/event): what the conversation buffer shortens.
local function event_lines(ev)
  local lines = { ("#%d %s%s"):format(ev.seq, ev.kind, ev.tool and (" (" .. ev.tool .. ")") or "") }
  local function add(label, value)
    if value ~= nil and value ~= vim.NIL then
      table.insert(lines, label .. tostring(value))
    end
  end
  add("time:      ", ev.time and ui.time(ev.time))
  add("path:      ", ev.path)
  for i, l in ipairs(ui.lines(ev.command)) do
    table.insert(lines, (i == 1 and "$ " or "  ") .. l)
  end
  add("exit code: ", ev.exitCode)
  add("cwd:       ", ev.cwd)
  add("duration:  ", ev.durationMs and (ev.durationMs .. " ms"))
  if ev.isError then
    table.insert(lines, "error:     yes")
  end
  table.insert(lines, "")
  if ev.stdout or ev.stderr then
    vim.list_extend(lines, ui.lines(ev.stdout))
    if ev.stderr and ev.stderr ~= "" then
      table.insert(lines, "── stderr ──")
      vim.list_extend(lines, ui.lines(ev.stderr))
    end
  else
    vim.list_extend(lines, ui.lines(ev.text))
  end
  if ev.data ~= nil and ev.data ~= vim.NIL then
    table.insert(lines, "")
    table.insert(lines, "── data ──")
    local ok, json = pcall(vim.json.encode, ev.data)
    vim.list_extend(lines, ok and vim.split(json, "\n", { plain = true }) or { tostring(ev.data) })
  end
  return lines
end

---Fills `buf` with one step in full.
---@param buf integer
---@param session string
---@param ev table the event (mantra/event's, or the conversation's)
function M.fill_event(buf, session, ev)
  ui.set_lines(buf, event_lines(ev))
  ui.make_scratch(buf)
  vim.bo[buf].filetype = "mantrastep"
  vim.b[buf].mantra = { session = session, seq = ev.seq, kind = ev.kind }
end

-- BufReadCmd: fills the buffer synchronously so :edit, :mksession and links work.
function M.read_cmd(buf, name)
  local p = M.parse(name)
  if not p then
    ui.notify(("not a mantra:// name: %s"):format(name), vim.log.levels.ERROR)
    return
  end
  if p.sessions then
    return require("mantra.sessions").read_cmd(buf)
  end
  if not p.seq then
    return require("mantra.replay").read_cmd(buf, p.session)
  end
  local r, err
  if p.path then
    r, err = rpc.request_sync("mantra/fileAt", { session = p.session, seq = p.seq, path = p.path })
    if r then
      return M.fill(buf, r)
    end
    ui.make_scratch(buf)
    return ui.error(err, "file history")
  elseif p.diff then
    r, err = rpc.request_sync("mantra/diff", { session = p.session, seq = p.seq })
    if r then
      return fill_diff(buf, r, p.seq)
    end
    ui.make_scratch(buf)
    return ui.error(err, "file history")
  end
  r, err = rpc.request_sync("mantra/event", { session = p.session, seq = p.seq })
  if r then
    return M.fill_event(buf, r.session, r.event)
  end
  ui.make_scratch(buf)
  ui.error(err, "step details")
end

---:MantraFile {session} {seq} {path}: the file as it stood after step {seq}.
---@param session string
---@param seq integer
---@param path string
---@param mods string|nil command modifiers (vertical, tab, …): open in a split
function M.open_file(session, seq, path, mods)
  M.file_at(session, seq, path, function(err, r)
    if err then
      return ui.error(err, "file history")
    end
    ui.show(M.buffer(r), mods)
  end)
end

---:MantraDiff {session} {seq}: the unified diff step {seq} made, in a `diff` buffer.
---@param session string
---@param seq integer
---@param mods string|nil
function M.open_diff(session, seq, mods)
  rpc.request("mantra/diff", { session = session, seq = seq }, function(err, r)
    if err then
      return ui.error(err, "file history")
    end
    local buf = ui.scratch(("mantra://%s/%d.diff"):format(r.session, seq))
    fill_diff(buf, r, seq)
    ui.show(buf, mods)
  end)
end

---Completion for :MantraFile's path: the files the session touched (mantra/files).
---@param session string
---@param lead string
---@return string[]
function M.complete_paths(session, lead)
  local r = rpc.request_sync("mantra/files", { session = session }, 2000)
  local out = {}
  for _, f in ipairs(r and r.files or {}) do
    if f.path:sub(1, #lead) == lead then
      table.insert(out, f.path)
    end
  end
  return out
end

return M
