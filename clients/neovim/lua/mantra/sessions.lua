-- :MantraSessions: the sessions of the current project (the working folder and everything
-- inside it), newest first, in the `mantra://sessions` buffer; <CR> replays the one under the
-- cursor. Refreshed when the server reports new steps (mantra/sessionsChanged).
local config = require("mantra.config")
local rpc = require("mantra.rpc")
local ui = require("mantra.ui")

local M = {}

local NAME = "mantra://sessions"

local lists = {} -- buf -> {project: string|false, ids: table<row, session id>}

---One line for a session: "date  agent  steps  branch  title  id".
---@param s table a Session
---@return string
function M.format_session(s)
  return ("%s  %-7s %5d steps  %-12s %s  %s"):format(
    ui.time(s.ended ~= vim.NIL and s.ended or s.started):sub(1, 16),
    s.agent,
    s.events,
    ui.shorten(s.branch, 12),
    ui.shorten(s.title ~= "" and s.title or "(untitled)", 60),
    s.id
  )
end

---Lists sessions: `opts.project` (default: the working folder; false: every project).
---@param opts table|nil {project?: string|false, limit?: integer}
---@param cb fun(err: MantraError|nil, sessions: table[]|nil)
function M.list(opts, cb)
  opts = opts or {}
  local project = opts.project
  if project == nil then
    project = vim.fn.getcwd()
  end
  local params = { limit = opts.limit or config.get().sessions.limit }
  if project then
    params.project = project
  end
  rpc.request("mantra/sessions", params, function(err, r)
    cb(err, r and r.sessions)
  end)
end

local function fill(buf, project, sessions)
  local lines = {
    project and ("Sessions in %s, newest first"):format(project) or "Sessions, newest first",
    "<CR> replay · R refresh · q close",
  }
  local ids = {}
  if #sessions == 0 then
    table.insert(lines, "")
    table.insert(lines, "  (none: run `mantra index`, or try :MantraSessions! for every project)")
  end
  for _, s in ipairs(sessions) do
    table.insert(lines, M.format_session(s))
    ids[#lines] = s.id
  end
  ui.set_lines(buf, lines)
  ui.make_scratch(buf)
  vim.bo[buf].filetype = "mantrasessions"
  vim.api.nvim_buf_clear_namespace(buf, ui.ns, 0, -1)
  vim.api.nvim_buf_add_highlight(buf, ui.ns, "MantraHeader", 0, 0, -1)
  vim.api.nvim_buf_add_highlight(buf, ui.ns, "MantraDim", 1, 0, -1)
  if not lists[buf] then
    vim.api.nvim_create_autocmd("BufWipeout", {
      buffer = buf,
      once = true,
      callback = function()
        lists[buf] = nil
      end,
    })
  end
  lists[buf] = { project = project or false, ids = ids }
end

local function session_under_cursor(buf)
  local data = lists[buf]
  local row = vim.api.nvim_win_get_cursor(0)[1]
  return data and data.ids[row] or nil
end

local function refresh(buf, project)
  M.list({ project = project }, function(err, sessions)
    if err then
      return ui.error(err)
    end
    if vim.api.nvim_buf_is_valid(buf) then
      fill(buf, project, sessions)
    end
  end)
end

local function map_keys(buf)
  local function map(lhs, fn, desc)
    vim.keymap.set("n", lhs, fn, { buffer = buf, silent = true, nowait = true, desc = desc })
  end
  map("<CR>", function()
    local id = session_under_cursor(buf)
    if id then
      require("mantra.replay").open(id)
    end
  end, "mantra: replay the session under the cursor")
  map("R", function()
    local data = lists[buf]
    refresh(buf, data and data.project)
  end, "mantra: refresh")
  map("q", function()
    if #vim.api.nvim_tabpage_list_wins(0) > 1 then
      vim.cmd("close")
    else
      vim.cmd("bwipeout " .. buf)
    end
  end, "mantra: close")
end

---:MantraSessions[!]: the current project's sessions (with !, every project's).
---@param all boolean|nil
---@param mods string|nil
function M.open(all, mods)
  local project = (not all) and vim.fn.getcwd() or false
  M.list({ project = project }, function(err, sessions)
    if err then
      return ui.error(err)
    end
    local buf = ui.scratch(NAME)
    fill(buf, project, sessions)
    map_keys(buf)
    local win = ui.win_of(buf)
    if win then
      vim.api.nvim_set_current_win(win)
    else
      ui.show(buf, mods)
    end
    vim.api.nvim_win_set_cursor(0, { math.min(3, vim.api.nvim_buf_line_count(buf)), 0 })
  end)
end

---BufReadCmd for mantra://sessions (the current project).
---@param buf integer
function M.read_cmd(buf)
  local project = vim.fn.getcwd()
  local r, err = rpc.request_sync("mantra/sessions", { project = project, limit = config.get().sessions.limit })
  ui.make_scratch(buf)
  if not r then
    return ui.error(err)
  end
  fill(buf, project, r.sessions)
  map_keys(buf)
end

rpc.on("mantra/sessionsChanged", function()
  local buf = ui.find_buf(NAME)
  local data = buf and lists[buf]
  if data then
    refresh(buf, data.project or false)
  end
end)

return M
