-- Small building blocks the feature modules share: messages, read-only scratch buffers named
-- mantra://…, windows, highlight groups, text helpers. No server calls here.
local rpc = require("mantra.rpc")

local M = {}

M.ns = vim.api.nvim_create_namespace("mantra")

---Messages go through vim.notify, prefixed, so notifier plugins show where they come from.
---@param msg string
---@param level integer|nil vim.log.levels.* (default INFO)
function M.notify(msg, level)
  vim.notify("mantra: " .. msg, level or vim.log.levels.INFO)
end

---Reports a failed request with the server's own message. `feature` names what the user
---asked for, so an older server that lacks the method gives "<feature> is not available in
---this mantra version".
---@param err MantraError
---@param feature string|nil
function M.error(err, feature)
  if err.code == rpc.codes.MethodNotFound and feature then
    local info = rpc.info()
    local version = info and info.serverInfo and info.serverInfo.version
    M.notify(
      ("%s is not available in this mantra version%s"):format(feature, version and (" (" .. version .. ")") or ""),
      vim.log.levels.WARN
    )
    return
  end
  M.notify(err.message or tostring(err), vim.log.levels.ERROR)
end

---Defines the highlight groups (as defaults, so colorschemes and users can override them).
function M.highlights()
  for group, link in pairs({
    MantraHeader = "Title",
    MantraUser = "Statement",
    MantraAssistant = "Normal",
    MantraReasoning = "Comment",
    MantraTool = "Function",
    MantraShell = "Special",
    MantraEdit = "Type",
    MantraMeta = "Comment",
    MantraOutput = "Comment",
    MantraFailed = "ErrorMsg",
    MantraSeq = "Number",
    MantraCurrentStep = "CursorLine",
    MantraDim = "Comment",
    MantraMatch = "Search",
  }) do
    vim.cmd(("highlight default link %s %s"):format(group, link))
  end
end

---Splits a text into lines; a final newline ends the last line instead of making an empty one.
---@param text string|nil
---@return string[]
function M.lines(text)
  if text == nil or text == vim.NIL or text == "" then
    return {}
  end
  text = text:gsub("\r\n", "\n")
  local out = vim.split(text, "\n", { plain = true })
  if out[#out] == "" then
    table.remove(out)
  end
  return out
end

---The buffer named exactly `name`, or nil (bufnr() would treat the name as a pattern).
---@param name string
---@return integer|nil
function M.find_buf(name)
  for _, b in ipairs(vim.api.nvim_list_bufs()) do
    if vim.api.nvim_buf_get_name(b) == name then
      return b
    end
  end
end

---Makes `buf` a read-only scratch buffer (buftype=nofile, no swap file, hidden when left).
---@param buf integer
function M.make_scratch(buf)
  local o = vim.bo[buf]
  o.buftype = "nofile"
  o.bufhidden = "hide"
  o.swapfile = false
  o.modifiable = false
  o.readonly = true
end

---The scratch buffer named `name`, created when missing.
---@param name string
---@return integer
function M.scratch(name)
  local buf = M.find_buf(name)
  if not buf then
    buf = vim.api.nvim_create_buf(true, true)
    vim.api.nvim_buf_set_name(buf, name)
  end
  M.make_scratch(buf)
  return buf
end

---Replaces a read-only buffer's lines.
---@param buf integer
---@param lines string[]
function M.set_lines(buf, lines)
  local o = vim.bo[buf]
  o.modifiable = true
  o.readonly = false
  vim.api.nvim_buf_set_lines(buf, 0, -1, false, lines)
  o.modifiable = false
  o.readonly = true
  o.modified = false
end

---The first window of the current tab page that shows `buf`, or nil.
---@param buf integer
---@return integer|nil
function M.win_of(buf)
  for _, w in ipairs(vim.api.nvim_tabpage_list_wins(0)) do
    if vim.api.nvim_win_get_buf(w) == buf then
      return w
    end
  end
end

---Shows `buf`: in a split when command modifiers are given (`:vertical`, `:tab`, …), else in
---the current window (in a split when the current buffer cannot be left).
---@param buf integer
---@param mods string|nil
function M.show(buf, mods)
  if mods and mods ~= "" then
    vim.cmd(mods .. " sbuffer " .. buf)
  elseif not pcall(vim.api.nvim_win_set_buf, 0, buf) then
    vim.cmd("sbuffer " .. buf)
  end
end

---"2026-11-25T11:45:06.683Z" → "2026-11-25 11:45:06" (UTC, as the server sends it).
---@param iso string|nil
---@return string
function M.time(iso)
  if type(iso) ~= "string" then
    return ""
  end
  local d, t = iso:match("^(%d+%-%d+%-%d+)T(%d+:%d+:%d+)")
  return d and (d .. " " .. t) or iso
end

---Shortens a one-line text to `width` display cells.
---@param s string|nil
---@param width integer
---@return string
function M.shorten(s, width)
  s = tostring(s or ""):gsub("%s+", " ")
  if vim.fn.strdisplaywidth(s) <= width then
    return s
  end
  return vim.fn.strcharpart(s, 0, width - 1) .. "…"
end

---Opens lines in a float at the cursor (vim.lsp.util's, present since 0.5); calling it again
---with the same `focus_id` enters the float.
---@param lines string[]
---@param opts table passed on (focus_id, border, …)
---@return integer buf, integer win
function M.float(lines, opts)
  return vim.lsp.util.open_floating_preview(lines, "markdown", opts)
end

M.highlights()

return M
