-- mantra.nvim: the history of AI coding sessions (Claude Code, Codex, Gemini, …) in Neovim.
-- A thin client of `mantra serve`: this module holds setup() and the functions behind the
-- commands (plugin/mantra.lua); each feature lives in its own module.
local config = require("mantra.config")
local rpc = require("mantra.rpc")
local ui = require("mantra.ui")

local M = {}

local group = vim.api.nvim_create_augroup("mantra_setup", { clear = true })

---Configures the plugin; optional (every option has a default). See `:help mantra-config`.
---@param opts table|nil
function M.setup(opts)
  config.set(opts)
  ui.highlights()
  vim.api.nvim_clear_autocmds({ group = group })
  if config.get().origin.hover then
    vim.api.nvim_create_autocmd("CursorHold", {
      group = group,
      callback = function()
        if vim.bo.buftype == "" and vim.api.nvim_buf_get_name(0) ~= "" then
          require("mantra.origin").origin({ silent = true })
        end
      end,
    })
  end
end

---:MantraFind [query]
---@param query string|nil
function M.find(query)
  require("mantra.find").find(query)
end

---:MantraReplay [session] [seq]
---@param session string|nil
---@param opts table|nil {seq?, mods?}
function M.replay(session, opts)
  require("mantra.replay").open(session, opts)
end

---:MantraSessions[!]
---@param all boolean|nil every project, not just the working folder's
---@param mods string|nil
function M.sessions(all, mods)
  require("mantra.sessions").open(all, mods)
end

---:MantraFile {session} {seq} {path}
function M.file(session, seq, path, mods)
  require("mantra.files").open_file(session, seq, path, mods)
end

---:MantraDiff {session} {seq}
function M.diff(session, seq, mods)
  require("mantra.files").open_diff(session, seq, mods)
end

---:MantraOrigin
function M.origin()
  require("mantra.origin").origin()
end

---Stops the server (it restarts on the next command).
function M.stop()
  rpc.stop()
end

---A short text for a statusline while the server indexes ("mantra 45%"), else "".
---@return string
function M.status()
  local p = rpc.progress
  if not p then
    return ""
  end
  return p.percentage and ("mantra %d%%"):format(p.percentage) or "mantra indexing"
end

-- --- the commands (plugin/mantra.lua calls these with the user command's table) ----------

local function usage(text)
  ui.notify("usage: " .. text, vim.log.levels.ERROR)
end

local function seq_arg(s)
  local n = tonumber(s)
  return n and n >= 0 and math.floor(n) == n and n or nil
end

local commands = {}

function commands.find(o)
  M.find(o.args)
end

function commands.replay(o)
  local seq
  if o.fargs[2] then
    seq = seq_arg(o.fargs[2])
    if not seq then
      return usage(":MantraReplay [session] [seq]")
    end
  end
  M.replay(o.fargs[1], { seq = seq, mods = o.mods })
end

function commands.sessions(o)
  M.sessions(o.bang, o.mods)
end

function commands.file(o)
  local seq = seq_arg(o.fargs[2])
  if #o.fargs < 3 or not seq then
    return usage(":MantraFile {session} {seq} {path}")
  end
  M.file(o.fargs[1], seq, table.concat(o.fargs, " ", 3), o.mods)
end

function commands.diff(o)
  local seq = seq_arg(o.fargs[2])
  if #o.fargs ~= 2 or not seq then
    return usage(":MantraDiff {session} {seq}")
  end
  M.diff(o.fargs[1], seq, o.mods)
end

function commands.origin()
  M.origin()
end

---Runs a command; an unexpected error becomes one message, never a traceback.
---@param name string
---@param o table the user command's argument table
function M._command(name, o)
  local ok, err = pcall(commands[name], o)
  if not ok then
    ui.notify("internal error: " .. tostring(err), vim.log.levels.ERROR)
  end
end

---Completion: session ids (newest first, this project's first), then files for :MantraFile.
function M._complete(lead, line)
  local ok, out = pcall(function()
    local args = vim.split(line, "%s+", { trimempty = false })
    local n = #args - 1 -- the argument being completed
    if n == 1 then
      local r = rpc.request_sync("mantra/sessions", { limit = 50 }, 2000)
      local ids = {}
      for _, s in ipairs(r and r.sessions or {}) do
        if s.id:sub(1, #lead) == lead then
          table.insert(ids, s.id)
        end
      end
      return ids
    elseif n == 3 and args[1]:match("^MantraFile") then
      return require("mantra.files").complete_paths(args[2], lead)
    end
    return {}
  end)
  return ok and out or {}
end

return M
