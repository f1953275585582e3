-- The connection to `mantra serve`: one server per Neovim, spawned on the first request, spoken
-- to through vim.lsp.rpc (Content-Length framed JSON-RPC). Knows the lifecycle (initialize,
-- initialized, shutdown, exit), queues requests until the server is ready, answers every
-- callback exactly once (also when the server dies), and routes notifications. Nothing here
-- draws on the screen except the messages about the connection itself.
local compat = require("mantra.compat")
local config = require("mantra.config")

local M = {}

M.version = "0.1.0"

---JSON-RPC and Mantra error codes (protocol/README.md), plus the client's own.
M.codes = {
  InvalidParams = -32602,
  MethodNotFound = -32601,
  InternalError = -32603,
  NotFound = -32001,
  Ambiguous = -32003,
  DatabaseError = -32004,
  -- client side: no server could be started, it exited, or it did not answer in time
  NoServer = -32098,
  Timeout = -32097,
}

---@class MantraError
---@field code integer
---@field message string

local state = {
  client = nil, -- the vim.lsp.rpc client
  ready = false, -- initialize answered
  queue = {}, -- requests made before ready: {method, params, callback}
  pending = {}, -- token -> callback, for every request sent and not yet answered
  next_token = 0,
  info = nil, -- the initialize result
  stopping = false,
}

local listeners = {} -- notification method -> list of functions(params)

---The current index run, from mantra/indexProgress (nil when none is running).
M.progress = nil

local function notify(msg, level)
  vim.notify("mantra: " .. msg, level or vim.log.levels.ERROR)
end

-- Calls cb once, in the main loop, never letting an error in it escape as a traceback.
local function guard(cb)
  return function(...)
    local ok, err = pcall(cb, ...)
    if not ok then
      notify("internal error: " .. tostring(err))
    end
  end
end

local function fail_all(err)
  local pending, queue = state.pending, state.queue
  state.pending, state.queue = {}, {}
  for _, cb in pairs(pending) do
    cb(err, nil)
  end
  for _, q in ipairs(queue) do
    q[3](err, nil)
  end
end

local function reset()
  state.client, state.ready, state.info = nil, false, nil
  M.progress = nil
end

local function on_notification(method, params)
  if method == "mantra/indexProgress" and type(params) == "table" then
    local cfg = config.get()
    if params.state == "end" then
      M.progress = nil
      if params.outcome == "failed" then
        notify("indexing failed: " .. tostring(params.message or "unknown error"), vim.log.levels.WARN)
      elseif cfg.notify_progress and params.outcome == "done" then
        local r = params.report or {}
        notify(("indexed: %s sessions, %s steps"):format(r.sessions or "?", r.events or "?"), vim.log.levels.INFO)
      end
    else
      M.progress = params
    end
    compat.user_event("MantraIndexProgress")
  end
  for _, fn in ipairs(listeners[method] or {}) do
    guard(fn)(params)
  end
  if method == "mantra/sessionsChanged" then
    compat.user_event("MantraSessionsChanged")
  end
end

local function send(method, params, callback)
  local client = state.client
  state.next_token = state.next_token + 1
  local token = state.next_token
  state.pending[token] = callback
  local ok, id = client.request(method, params, function(err, result)
    local cb = state.pending[token]
    if not cb then
      return -- answered already (the server exited, or a timeout gave up on it)
    end
    state.pending[token] = nil
    if err then
      err = { code = err.code, message = err.message or tostring(err) }
    end
    if result == vim.NIL then
      result = nil
    end
    cb(err, result)
  end)
  if not ok then
    state.pending[token] = nil
    callback({ code = M.codes.NoServer, message = "the server is not running" }, nil)
    return nil
  end
  return id
end

local function flush()
  local queue = state.queue
  state.queue = {}
  for _, q in ipairs(queue) do
    M.request(q[1], q[2], q[3])
  end
end

local function start()
  local cfg = config.get()
  local exe = vim.fn.exepath(vim.fn.expand(cfg.cmd))
  if exe == "" then
    return nil,
      ("cannot start the server: '%s' is not an executable (install mantra, or set cmd in require('mantra').setup{})"):format(
        cfg.cmd
      )
  end
  local args = { "serve" }
  if cfg.db then
    vim.list_extend(args, { "--db", vim.fn.expand(cfg.db) })
  end
  local client
  local dispatchers = {
    notification = function(method, params)
      vim.schedule(function()
        on_notification(method, params)
      end)
    end,
    server_request = function(method)
      return nil, { code = M.codes.MethodNotFound, message = "unknown method '" .. method .. "'" }
    end,
    on_error = function(kind, err)
      vim.schedule(function()
        notify(("connection error (%s): %s"):format(tostring(kind), tostring(err)), vim.log.levels.WARN)
      end)
    end,
    on_exit = function(code, signal)
      vim.schedule(function()
        if state.client ~= client then
          return -- an older server; its requests were failed when it was replaced
        end
        local expected = state.stopping
        local waiting = next(state.pending) ~= nil or #state.queue > 0
        reset()
        local why = ("the server exited (code %d%s)"):format(code, signal ~= 0 and (", signal " .. signal) or "")
        -- The requests that were waiting report it; with none, say it here.
        fail_all({ code = M.codes.NoServer, message = why .. "; it restarts on the next command" })
        if not expected and not waiting then
          notify(why .. "; it restarts on the next command", vim.log.levels.WARN)
        end
      end)
    end,
  }
  local err
  client, err = compat.rpc_start(exe, args, dispatchers, { cwd = vim.fn.getcwd() })
  if not client then
    return nil, ("cannot start the server '%s': %s"):format(exe, err)
  end
  state.client, state.stopping = client, false
  local init = {
    clientInfo = { name = "mantra.nvim", version = M.version },
    workspaceFolders = { { uri = vim.uri_from_fname(vim.fn.getcwd()), name = vim.fn.getcwd() } },
    initializationOptions = { backgroundIndex = cfg.background_index },
  }
  send("initialize", init, guard(function(e, result)
    if state.client ~= client then
      return
    end
    if e then
      fail_all({ code = e.code, message = "initialize: " .. e.message })
      M.stop()
      return
    end
    state.info, state.ready = result, true
    client.notify("initialized", vim.empty_dict())
    flush()
  end))
  return client
end

---Sends a request; starts the server first when needed. `callback(err, result)` runs once, in
---the main loop; `err` is `{code, message}` with the server's own message. A method the
---server did not list in its capabilities fails at once with MethodNotFound.
---@param method string
---@param params table|nil
---@param callback fun(err: MantraError|nil, result: any)
function M.request(method, params, callback)
  callback = guard(callback)
  if not state.client or compat.rpc_closing(state.client) then
    if state.client then
      reset()
    end
    local _, err = start()
    if err then
      callback({ code = M.codes.NoServer, message = err }, nil)
      return
    end
  end
  if not state.ready then
    table.insert(state.queue, { method, params, callback })
    return
  end
  if not M.supports(method) then
    callback({ code = M.codes.MethodNotFound, message = "unknown method '" .. method .. "'" }, nil)
    return
  end
  return send(method, params, callback)
end

---Blocks until the answer comes (or `timeout` ms, default config.timeout). For the places where
---Neovim needs the result now: BufReadCmd, :checkhealth, command-line completion.
---@param method string
---@param params table|nil
---@param timeout integer|nil
---@return any result, MantraError|nil err
function M.request_sync(method, params, timeout)
  timeout = timeout or config.get().timeout
  local done, err, result = false, nil, nil
  local id = M.request(method, params, function(e, r)
    done, err, result = true, e, r
  end)
  if not vim.wait(timeout, function()
    return done
  end, 5) then
    if id and state.client then
      state.client.notify("$/cancelRequest", { id = id })
    end
    return nil, { code = M.codes.Timeout, message = ("no answer to %s within %d ms"):format(method, timeout) }
  end
  return result, err
end

---Whether the running server handles `method` (true while its capabilities are unknown).
---@param method string
---@return boolean
function M.supports(method)
  if not (state.info and state.info.capabilities and state.info.capabilities.methods) then
    return true
  end
  return vim.tbl_contains(state.info.capabilities.methods, method)
end

---The initialize result of the running server (serverInfo, capabilities, database), or nil.
---@return table|nil
function M.info()
  return state.info
end

---Calls `fn(params)` for every `method` notification from the server.
---@param method string
---@param fn fun(params: any)
function M.on(method, fn)
  listeners[method] = listeners[method] or {}
  table.insert(listeners[method], fn)
end

---Shuts the server down politely (shutdown, exit), then makes sure the process is gone.
---Blocks for at most about 1.5 s; safe to call when nothing runs.
function M.stop()
  local client = state.client
  if not client then
    return
  end
  state.stopping = true
  if state.ready and not compat.rpc_closing(client) then
    local done = false
    pcall(client.request, "shutdown", nil, function()
      done = true
    end)
    vim.wait(1000, function()
      return done
    end, 5)
    pcall(client.notify, "exit", nil)
  end
  vim.wait(500, function()
    return compat.rpc_closing(client)
  end, 5)
  if not compat.rpc_closing(client) then
    compat.rpc_terminate(client)
  end
  if state.client == client then
    reset()
    fail_all({ code = M.codes.NoServer, message = "the server was stopped" })
  end
end

---The server's process id, when the rpc client tells it (Neovim 0.7–0.9), else nil.
---@return integer|nil
function M.pid()
  return state.client and state.client.pid or nil
end

---Whether a server process is running.
---@return boolean
function M.running()
  return state.client ~= nil and not compat.rpc_closing(state.client)
end

return M
