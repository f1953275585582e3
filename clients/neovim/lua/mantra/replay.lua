-- :MantraReplay: a session as a conversation buffer (`mantra://<session>`), one block per step,
-- the current step highlighted. ]s / [s step; an edit step opens the file after the step beside
-- the file before it, in diff mode; a shell step opens the command, its exit code and output.
local config = require("mantra.config")
local files = require("mantra.files")
local rpc = require("mantra.rpc")
local ui = require("mantra.ui")

local M = {}

local cur_ns = vim.api.nvim_create_namespace("mantra_current_step")

---@class MantraReplayState
---@field buf integer the conversation buffer
---@field session table the Session
---@field steps table[] {ev, first, last} (0-based rows)
---@field current integer|nil index into steps
---@field wins table {after?, before?} the detail windows
---@field gen integer bumped on every step change, so late answers for older steps are dropped

---@type table<integer, MantraReplayState>
local states = {}

local kind_hl = {
  user = "MantraUser",
  assistant = "MantraAssistant",
  reasoning = "MantraReasoning",
  shell = "MantraShell",
  edit = "MantraEdit",
  tool_call = "MantraTool",
  tool_result = "MantraTool",
  summary = "MantraHeader",
  meta = "MantraMeta",
}

-- Kinds whose body is output, shortened to replay.max_output_lines.
local shortened = { tool_call = true, tool_result = true, shell = true, edit = true, meta = true }

local function relative(path, project)
  if type(path) ~= "string" then
    return ""
  end
  if project and project ~= "" and path:sub(1, #project + 1) == project .. "/" then
    return path:sub(#project + 2)
  end
  return path
end

local function clock(iso)
  return ui.time(iso):match("%d+:%d+:%d+$") or ""
end

-- The header line of a step, and the lines that go under it.
local function step_text(ev, project)
  local head, body = ("#%d "):format(ev.seq), ui.lines(ev.text)
  if ev.kind == "user" then
    head = head .. "you"
  elseif ev.kind == "assistant" then
    head = head .. "agent"
  elseif ev.kind == "reasoning" then
    head = head .. "thinking"
  elseif ev.kind == "shell" then
    local cmd = ui.lines(ev.command)
    head = head .. "$ " .. (cmd[1] or "")
    local extra = {}
    for i = 2, #cmd do
      table.insert(extra, "│ " .. cmd[i])
    end
    if ev.exitCode ~= nil then
      head = head .. ("   exit %d"):format(ev.exitCode)
    elseif ev.isError then
      head = head .. "   failed"
    end
    body = vim.list_extend(extra, body)
  elseif ev.kind == "edit" then
    head = head .. "edit " .. relative(ev.path, project) .. (ev.tool and (" (" .. ev.tool .. ")") or "")
  elseif ev.kind == "tool_call" then
    head = head .. (ev.tool or "tool") .. " " .. ui.shorten(relative(ev.path or body[1], project), 80)
    if #body <= 1 then
      body = {}
    end
  elseif ev.kind == "tool_result" then
    head = head .. "result" .. (ev.tool and (" (" .. ev.tool .. ")") or "") .. (ev.isError and "   error" or "")
  else
    head = head .. ev.kind
  end
  local t = clock(ev.time)
  if t ~= "" then
    head = head .. " · " .. t
  end
  return head, body
end

-- Renders the session into lines + highlight spans + step ranges.
local function render(session, events)
  local cfg = config.get().replay
  local lines, hls, steps = {}, {}, {}
  local function add(line, hl)
    table.insert(lines, line)
    if hl then
      table.insert(hls, { #lines - 1, hl })
    end
  end
  add(session.title ~= "" and session.title or session.id, "MantraHeader")
  local meta = { session.agent, session.project }
  if session.branch and session.branch ~= "" then
    table.insert(meta, session.branch)
  end
  table.insert(meta, ("%s → %s"):format(ui.time(session.started), clock(session.ended)))
  table.insert(meta, ("%d steps"):format(session.events or #events))
  if session.model then
    table.insert(meta, session.model)
  end
  add(table.concat(meta, " · "), "MantraDim")
  local k = cfg.keys
  local help = {}
  for _, pair in ipairs({ { k.next, "next step" }, { k.prev, "previous" }, { k.open, "open step" }, { k.close, "close" } }) do
    if pair[1] then
      table.insert(help, pair[1] .. " " .. pair[2])
    end
  end
  add(session.id .. "   " .. table.concat(help, " · "), "MantraDim")
  for _, ev in ipairs(events) do
    local hidden = (ev.kind == "meta" and not cfg.show_meta) or (ev.kind == "reasoning" and not cfg.show_reasoning)
    if not hidden then
      add("")
      local head, body = step_text(ev, session.project)
      add(head, kind_hl[ev.kind] or "MantraHeader")
      local first = #lines - 1
      table.insert(hls, { first, "MantraSeq", 0, #tostring(ev.seq) + 1 })
      if ev.kind == "shell" and ev.exitCode and ev.exitCode ~= 0 then
        local col = head:find("   exit ", 1, true)
        table.insert(hls, { first, "MantraFailed", col + 2, col + 7 + #tostring(ev.exitCode) })
      end
      local max = shortened[ev.kind] and cfg.max_output_lines or math.huge
      local body_hl = shortened[ev.kind] and "MantraOutput" or (ev.kind == "reasoning" and "MantraReasoning" or nil)
      for i, l in ipairs(body) do
        if i > max then
          add(("  … %d more lines (%s opens the step)"):format(#body - max, k.open or ":MantraReplay"), "MantraDim")
          break
        end
        add(l == "" and "" or ("  " .. l), body_hl)
      end
      table.insert(steps, { ev = ev, first = first, last = #lines - 1 })
    end
  end
  return lines, hls, steps
end

local function valid_win(w)
  return w and vim.api.nvim_win_is_valid(w)
end

local function close_detail(st)
  for _, w in pairs(st.wins) do
    if valid_win(w) and #vim.api.nvim_tabpage_list_wins(0) > 1 then
      pcall(vim.api.nvim_win_close, w, true)
    end
  end
  st.wins = {}
end

local function win_cmd(w, cmd)
  vim.api.nvim_win_call(w, function()
    vim.cmd(cmd)
  end)
end

-- Shows `after` (and `before`, in diff mode against it) below (or beside) the conversation.
local function show_detail(st, after, before)
  local conv = ui.win_of(st.buf)
  if not conv then
    return
  end
  local vertical = config.get().replay.layout == "vertical"
  for _, w in pairs(st.wins) do
    if valid_win(w) then
      win_cmd(w, "diffoff")
    end
  end
  if not valid_win(st.wins.after) then
    vim.api.nvim_set_current_win(conv)
    vim.cmd(vertical and "botright vsplit" or "botright split")
    st.wins.after = vim.api.nvim_get_current_win()
  end
  vim.api.nvim_win_set_buf(st.wins.after, after)
  if before then
    if not valid_win(st.wins.before) then
      vim.api.nvim_set_current_win(st.wins.after)
      vim.cmd(vertical and "aboveleft split" or "aboveleft vsplit")
      st.wins.before = vim.api.nvim_get_current_win()
    end
    vim.api.nvim_win_set_buf(st.wins.before, before)
    win_cmd(st.wins.before, "diffthis")
    win_cmd(st.wins.after, "diffthis")
    pcall(win_cmd, st.wins.after, "silent! normal! gg]c")
  elseif valid_win(st.wins.before) then
    pcall(vim.api.nvim_win_close, st.wins.before, true)
    st.wins.before = nil
  end
  vim.api.nvim_set_current_win(conv)
end

local function live(st, gen)
  return states[st.buf] == st and st.gen == gen and vim.api.nvim_buf_is_valid(st.buf)
end

-- The changed file among a step's diffs: the one the event names, else the first.
local function pick_diff(diffs, path)
  for _, d in ipairs(diffs) do
    if path and (path == d.path or path:sub(-#d.path - 1) == "/" .. d.path) then
      return d
    end
  end
  return diffs[1]
end

local function open_edit(st, ev, gen)
  local id = st.session.id
  rpc.request("mantra/diff", { session = id, seq = ev.seq }, function(err, r)
    if not live(st, gen) then
      return
    end
    if err then
      close_detail(st)
      return ui.error(err, "file history")
    end
    local d = pick_diff(r.diffs or {}, ev.path)
    if not d then
      close_detail(st)
      return ui.notify(("step %d changed no file"):format(ev.seq), vim.log.levels.WARN)
    end
    if #r.diffs > 1 then
      local others = {}
      for _, o in ipairs(r.diffs) do
        if o ~= d then
          table.insert(others, o.path)
        end
      end
      ui.notify(("step %d also changed %s (:MantraDiff %s %d)"):format(ev.seq, table.concat(others, ", "), id, ev.seq))
    end
    local got, failed = {}, nil
    local function done()
      if not live(st, gen) or not (got.after and got.before) then
        return
      end
      if failed then
        close_detail(st)
        return ui.error(failed, "file history")
      end
      show_detail(st, files.buffer(got.after, "wipe"), files.buffer(got.before, "wipe"))
    end
    for which, seq in pairs({ after = d.to, before = d.from }) do
      files.file_at(id, seq, d.path, function(e, res)
        failed = failed or e
        got[which] = res or {}
        done()
      end)
    end
  end)
end

local function open_step(st, ev, gen)
  local id = st.session.id
  local function show(event)
    if not live(st, gen) then
      return
    end
    local buf = ui.scratch(("mantra://%s/%d"):format(id, ev.seq))
    vim.bo[buf].bufhidden = "wipe"
    files.fill_event(buf, id, event)
    show_detail(st, buf, nil)
  end
  rpc.request("mantra/event", { session = id, seq = ev.seq }, function(err, r)
    show(err and ev or r.event) -- an older server without mantra/event: what the list had
  end)
end

---Makes step `i` of the conversation in `buf` the current one: cursor, highlight, detail.
---@param buf integer
---@param i integer
function M.select(buf, i)
  local st = states[buf]
  if not st or #st.steps == 0 then
    return
  end
  i = math.max(1, math.min(i, #st.steps))
  st.current = i
  st.gen = st.gen + 1
  local step = st.steps[i]
  vim.api.nvim_buf_clear_namespace(buf, cur_ns, 0, -1)
  vim.api.nvim_buf_set_extmark(buf, cur_ns, step.first, 0, {
    end_row = step.last + 1,
    end_col = 0,
    hl_group = "MantraCurrentStep",
    hl_eol = true,
    priority = 50,
  })
  local win = ui.win_of(buf)
  if win then
    vim.api.nvim_win_set_cursor(win, { step.first + 1, 0 })
  end
  vim.b[buf].mantra_seq = step.ev.seq
  if step.ev.kind == "edit" then
    open_edit(st, step.ev, st.gen)
  elseif step.ev.kind == "shell" then
    open_step(st, step.ev, st.gen)
  else
    close_detail(st)
  end
end

-- The step under the cursor (0 above the first one).
local function step_at_cursor(st)
  local win = ui.win_of(st.buf)
  local row = win and (vim.api.nvim_win_get_cursor(win)[1] - 1) or 0
  local found = 0
  for i, s in ipairs(st.steps) do
    if s.first <= row then
      found = i
    else
      break
    end
  end
  return found
end

---Moves `delta` steps from the step under the cursor (]s: +count, [s: -count).
---@param buf integer|nil default: the current buffer
---@param delta integer
function M.step(buf, delta)
  buf = (buf == nil or buf == 0) and vim.api.nvim_get_current_buf() or buf
  local st = states[buf]
  if not st then
    return ui.notify("not a mantra conversation buffer", vim.log.levels.WARN)
  end
  M.select(buf, step_at_cursor(st) + delta)
end

---Makes the step with sequence number `seq` current (or the first shown step after it).
---@param buf integer
---@param seq integer
function M.goto_seq(buf, seq)
  local st = states[buf]
  if not st then
    return
  end
  for i, s in ipairs(st.steps) do
    if s.ev.seq >= seq then
      return M.select(buf, i)
    end
  end
  M.select(buf, #st.steps)
end

local function close(buf)
  local st = states[buf]
  if st then
    close_detail(st)
  end
  if #vim.api.nvim_tabpage_list_wins(0) > 1 then
    vim.cmd("close")
  else
    vim.cmd("bwipeout " .. buf)
  end
end

local function map_keys(buf)
  local keys = config.get().replay.keys
  local function map(lhs, fn, desc)
    if lhs then
      vim.keymap.set("n", lhs, fn, { buffer = buf, silent = true, nowait = true, desc = desc })
    end
  end
  map(keys.next, function()
    M.step(buf, vim.v.count1)
  end, "mantra: next step")
  map(keys.prev, function()
    M.step(buf, -vim.v.count1)
  end, "mantra: previous step")
  map(keys.open, function()
    local st = states[buf]
    local i = st and step_at_cursor(st) or 0
    if i > 0 then
      M.select(buf, i)
    end
  end, "mantra: open the step under the cursor")
  map(keys.close, function()
    close(buf)
  end, "mantra: close the replay")
end

-- Fills `buf` with the session `r` ({session, events}) and remembers its state.
local function fill(buf, r)
  local lines, hls, steps = render(r.session, r.events or {})
  ui.set_lines(buf, lines)
  ui.make_scratch(buf)
  vim.api.nvim_buf_clear_namespace(buf, ui.ns, 0, -1)
  for _, h in ipairs(hls) do
    vim.api.nvim_buf_add_highlight(buf, ui.ns, h[2], h[1], h[3] or 0, h[4] or -1)
  end
  local old = states[buf]
  states[buf] = {
    buf = buf,
    session = r.session,
    steps = steps,
    wins = old and old.wins or {},
    gen = old and old.gen + 1 or 0,
  }
  vim.bo[buf].filetype = "mantra"
  vim.b[buf].mantra = { session = r.session.id }
  if not old then
    map_keys(buf)
    vim.api.nvim_create_autocmd("BufWipeout", {
      buffer = buf,
      once = true,
      callback = function()
        states[buf] = nil
      end,
    })
  end
end

local function with_session(session, cb)
  if session and session ~= "" then
    return cb(session)
  end
  local cwd = vim.fn.getcwd()
  rpc.request("mantra/sessions", { project = cwd, limit = 20 }, function(err, r)
    if err then
      return ui.error(err)
    end
    for _, s in ipairs(r.sessions or {}) do
      if not s.subagent then
        return cb(s.id)
      end
    end
    ui.notify(("no session in this project (%s); :MantraFind searches them all"):format(cwd), vim.log.levels.WARN)
  end)
end

---:MantraReplay [session] [seq]: opens the conversation buffer; without a session, the latest
---one of the current project (the working folder); with `seq`, at that step.
---@param session string|nil an id, the agent's own id, or a unique prefix of either
---@param opts table|nil {seq?: integer, mods?: string}
function M.open(session, opts)
  opts = opts or {}
  with_session(session, function(id)
    rpc.request("mantra/session", { session = id }, function(err, r)
      if err then
        return ui.error(err)
      end
      local buf = ui.scratch("mantra://" .. r.session.id)
      fill(buf, r)
      if ui.win_of(buf) then
        vim.api.nvim_set_current_win(ui.win_of(buf))
      else
        ui.show(buf, opts.mods)
      end
      if opts.seq then
        M.goto_seq(buf, opts.seq)
      end
    end)
  end)
end

---BufReadCmd for mantra://<session>: loads synchronously.
---@param buf integer
---@param session string
function M.read_cmd(buf, session)
  local r, err = rpc.request_sync("mantra/session", { session = session })
  if not r then
    ui.make_scratch(buf)
    return ui.error(err)
  end
  fill(buf, r)
end

-- A session got new steps: re-render its open conversations, keeping the current step.
rpc.on("mantra/sessionsChanged", function(params)
  local changed = {}
  for _, id in ipairs(params and params.sessions or {}) do
    changed[id] = true
  end
  for buf, st in pairs(states) do
    if changed[st.session.id] and vim.api.nvim_buf_is_valid(buf) then
      rpc.request("mantra/session", { session = st.session.id }, function(err, r)
        if err or states[buf] ~= st or not vim.api.nvim_buf_is_valid(buf) then
          return
        end
        local win = ui.win_of(buf)
        local cursor = win and vim.api.nvim_win_get_cursor(win)
        fill(buf, r)
        if win and vim.api.nvim_win_is_valid(win) then
          pcall(vim.api.nvim_win_set_cursor, win, cursor)
        end
      end)
    end
  end
end)

---The replay state of `buf` (for tests and integrations), or nil.
---@param buf integer
---@return MantraReplayState|nil
function M.state(buf)
  return states[buf]
end

return M
