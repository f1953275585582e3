-- The APIs that differ between Neovim 0.7 (Debian 12) and newer releases, in one place.
-- Every other module calls these instead of testing versions itself.
local M = {}

local has = function(feature)
  return vim.fn.has(feature) == 1
end

M.uv = vim.uv or vim.loop

---Starts `cmd` with `args` as a JSON-RPC client with LSP framing.
---0.7–0.9: `start(cmd, args, dispatchers, extra)`, returns `{pid, handle, request, notify}`;
---0.10+: `start(cmd_list, dispatchers, extra)`, returns `{request, notify, is_closing, terminate}`.
---@param cmd string the executable
---@param args string[]
---@param dispatchers table `notification`, `on_exit`, `on_error`, `server_request`
---@param extra table|nil `cwd`, `env`
---@return table|nil client, string|nil error
function M.rpc_start(cmd, args, dispatchers, extra)
  local ok, client
  if has("nvim-0.10") then
    local list = { cmd }
    vim.list_extend(list, args)
    ok, client = pcall(vim.lsp.rpc.start, list, dispatchers, extra)
  else
    -- 0.7 reports a failed spawn with its own vim.notify and returns nil: silence that one
    -- message so the user sees ours, which says which setting to change.
    local notify = vim.notify
    local swallowed
    vim.notify = function(msg, ...)
      if type(msg) == "string" and msg:find("Spawning language server", 1, true) then
        swallowed = msg
        return
      end
      return notify(msg, ...)
    end
    ok, client = pcall(vim.lsp.rpc.start, cmd, args, dispatchers, extra)
    vim.notify = notify
    if ok and client == nil then
      return nil, swallowed or "spawn failed"
    end
  end
  if not ok then
    return nil, tostring(client)
  end
  return client
end

---Stops the process behind an rpc client (0.10: `terminate()`; 0.7: the uv handle).
---@param client table
function M.rpc_terminate(client)
  if client.terminate then
    pcall(client.terminate)
  elseif client.handle and not client.handle:is_closing() then
    pcall(client.handle.kill, client.handle, 15)
  end
end

---vim.islist (0.10+) or vim.tbl_islist (deprecated since 0.10).
M.islist = vim.islist or vim.tbl_islist

---Whether the rpc client's process is gone.
---@param client table
---@return boolean
function M.rpc_closing(client)
  if client.is_closing then
    return client.is_closing()
  end
  return client.handle == nil or client.handle:is_closing()
end

---Sets `buf`'s filetype from `path` the way Neovim does for files; falls back to `fallback`.
---0.7: `vim.filetype.match(name, bufnr)` sets it itself; 0.8+: returns it.
---@param buf integer
---@param path string
---@param fallback string|nil
function M.set_filetype(buf, path, fallback)
  local ft
  if vim.filetype and vim.filetype.match then
    if has("nvim-0.8") then
      local ok, res = pcall(vim.filetype.match, { filename = path, buf = buf })
      ft = ok and res or nil
    else
      pcall(vim.filetype.match, path, buf)
      ft = vim.bo[buf].filetype ~= "" and vim.bo[buf].filetype or nil
    end
  end
  ft = ft or fallback
  if ft and ft ~= "" and vim.bo[buf].filetype ~= ft then
    vim.bo[buf].filetype = ft
  end
end

---The health reporting functions: `vim.health.start/ok/…` (0.10+), `vim.health.report_*`
---(0.8–0.9), or the `health` module (0.7).
---@return table {start, ok, warn, error, info}
function M.health()
  local h = vim.health
  if h and h.start then
    return { start = h.start, ok = h.ok, warn = h.warn, error = h.error, info = h.info }
  end
  h = (h and h.report_start) and h or require("health")
  return {
    start = h.report_start,
    ok = h.report_ok,
    warn = h.report_warn,
    error = h.report_error,
    info = h.report_info,
  }
end

---Runs a `User` autocommand only when someone listens (`:doautocmd` prints a message otherwise).
---@param pattern string
function M.user_event(pattern)
  if vim.fn.exists("#User#" .. pattern) == 1 then
    vim.cmd("doautocmd <nomodeline> User " .. pattern)
  end
end

return M
