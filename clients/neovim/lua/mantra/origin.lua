-- :MantraOrigin: the prompt that produced the line under the cursor (mantra/origin), in a float;
-- <CR> in the float opens the replay at that step. Optionally on CursorHold (origin.hover).
local rpc = require("mantra.rpc")
local ui = require("mantra.ui")

local M = {}

M.FEATURE = "origin lookup"

local last = {} -- the float shown last: {buf, win, result}

local function valid_win(w)
  return w and vim.api.nvim_win_is_valid(w)
end

local CONFIDENCE = {
  exact = "",
  moved = " · moved here since",
  fuzzy = " · edited since (similar line)",
}

local function float_lines(o, r, file)
  local lines = {
    ("**Prompt** · %s · %s · step #%d%s"):format(
      o.agent,
      ui.time(o.time ~= vim.NIL and o.time or nil),
      o.seq,
      CONFIDENCE[o.confidence] or ""
    ),
    "",
  }
  for _, l in ipairs(ui.lines(o.prompt)) do
    table.insert(lines, "> " .. l)
  end
  if type(o.explanation) == "string" and o.explanation ~= "" then
    table.insert(lines, "")
    table.insert(lines, "_" .. ui.lines(o.explanation)[1] .. "_")
  end
  table.insert(lines, "")
  local where = ""
  if file and o.path ~= file then
    where = (" · written in `%s`"):format(vim.fn.fnamemodify(o.path, ":t"))
  end
  table.insert(lines, ("`%s`%s"):format(o.session, where))
  if r.candidates and #r.candidates > 0 then
    table.insert(lines, ("%d other candidate%s"):format(#r.candidates, #r.candidates > 1 and "s" or ""))
  end
  table.insert(lines, "<CR> replays from this step · q closes")
  return lines
end

local function show(r, file)
  local o = r.origin
  local buf, win = ui.float(float_lines(o, r, file), {
    focus_id = "mantra_origin",
    focus = false, -- entering it is M.origin's choice (never on CursorHold)
    border = "rounded",
    max_width = 100,
  })
  last = { buf = buf, win = win, result = r }
  local function jump()
    if valid_win(win) then
      pcall(vim.api.nvim_win_close, win, true)
    end
    require("mantra.replay").open(o.session, { seq = o.seq })
  end
  vim.keymap.set("n", "<CR>", jump, { buffer = buf, nowait = true, desc = "mantra: replay from this step" })
  vim.keymap.set("n", "q", "<Cmd>close<CR>", { buffer = buf, nowait = true })
end

---:MantraOrigin: asks which session wrote the line under the cursor. A second call while the
---float is open enters it.
---@param opts table|nil {silent?: boolean} silent: no message when nothing is found (CursorHold)
function M.origin(opts)
  opts = opts or {}
  if valid_win(last.win) and not opts.silent then
    if vim.api.nvim_get_current_win() ~= last.win then
      vim.api.nvim_set_current_win(last.win)
    end
    return
  end
  local buf = vim.api.nvim_get_current_buf()
  local name = vim.api.nvim_buf_get_name(buf)
  if name == "" or name:match("^%a[%w+.-]*://") then
    if not opts.silent then
      ui.notify("the line's origin needs a file buffer", vim.log.levels.WARN)
    end
    return
  end
  local row = vim.api.nvim_win_get_cursor(0)[1]
  local path = vim.fn.fnamemodify(name, ":p")
  -- The line and three lines each way from the buffer (unsaved changes included).
  local params = {
    path = path,
    line = row,
    text = vim.api.nvim_buf_get_lines(buf, row - 1, row, false)[1],
    above = vim.api.nvim_buf_get_lines(buf, math.max(0, row - 4), row - 1, false),
    below = vim.api.nvim_buf_get_lines(buf, row, row + 3, false),
  }
  rpc.request("mantra/origin", params, function(err, r)
    if err then
      return not opts.silent and ui.error(err, M.FEATURE)
    end
    if vim.api.nvim_get_current_buf() ~= buf or vim.api.nvim_win_get_cursor(0)[1] ~= row then
      return -- the cursor moved on while we asked
    end
    if not r.origin or r.origin == vim.NIL then
      return not opts.silent and ui.notify(r.reason or "no session wrote this line")
    end
    show(r, path)
  end)
end

---The float shown last ({buf, win, result}), for tests and integrations.
---@return table
function M.last()
  return last
end

return M
