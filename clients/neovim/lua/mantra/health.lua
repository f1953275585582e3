-- :checkhealth mantra: the executable, the server's version and methods against what this
-- client uses, the database and the indexing state.
local compat = require("mantra.compat")
local config = require("mantra.config")
local rpc = require("mantra.rpc")

local M = {}

-- What each command needs, and what it is called in a message.
local REQUIRED = { "mantra/sessions", "mantra/session", "mantra/search", "mantra/status" }
local OPTIONAL = {
  ["mantra/event"] = "step details",
  ["mantra/files"] = "file history (:MantraFile completion)",
  ["mantra/fileAt"] = "file history (:MantraFile, edit steps in :MantraReplay)",
  ["mantra/diff"] = "file history (:MantraDiff, edit steps in :MantraReplay)",
  ["mantra/origin"] = "origin lookup (:MantraOrigin)",
}

local function check(h)
  h.start("mantra")
  local v = vim.version()
  h.ok(("Neovim %d.%d.%d"):format(v.major, v.minor, v.patch))
  local cfg = config.get()
  local exe = vim.fn.exepath(vim.fn.expand(cfg.cmd))
  if exe == "" then
    h.error(("mantra executable not found: '%s'"):format(cfg.cmd), {
      "install mantra (see its README), or point the plugin at it: require('mantra').setup({ cmd = '/path/to/mantra' })",
    })
    return
  end
  h.ok("executable: " .. exe)
  local status, err = rpc.request_sync("mantra/status", nil, 5000)
  local info = rpc.info()
  if not info then
    h.error("`mantra serve` did not start: " .. (err and err.message or "no answer"))
    return
  end
  local server = info.serverInfo or {}
  local sv, cv = tostring(server.version), rpc.version
  if server.name ~= "mantra" then
    h.error(("the server calls itself '%s', not 'mantra'"):format(tostring(server.name)))
  elseif sv:match("^(%d+%.%d+)") ~= cv:match("^(%d+%.%d+)") then
    h.warn(("server version %s, client %s: some features may be missing"):format(sv, cv))
  else
    h.ok(("server: mantra %s (client %s)"):format(sv, cv))
  end
  local methods, missing = info.capabilities and info.capabilities.methods or {}, {}
  for _, m in ipairs(REQUIRED) do
    if not vim.tbl_contains(methods, m) then
      table.insert(missing, m)
    end
  end
  if #missing > 0 then
    h.error("protocol: the server lacks " .. table.concat(missing, ", "), { "update mantra" })
  else
    h.ok("protocol: the server serves every method this client needs")
  end
  local names = vim.tbl_keys(OPTIONAL)
  table.sort(names)
  for _, m in ipairs(names) do
    if not vim.tbl_contains(methods, m) then
      h.warn(("%s is not available in this mantra version (no %s)"):format(OPTIONAL[m], m))
    end
  end
  if err then
    h.error("database: " .. err.message, { "check the db option or $MANTRA_DB, then run `mantra index`" })
    return
  end
  h.ok(("database: %s (%d sessions, %d steps)"):format(status.database, status.sessions, status.events))
  for _, a in ipairs(status.agents or {}) do
    h.info(("%s: %d sessions, %d steps, last indexed %s"):format(
      a.agent,
      a.sessions,
      a.events,
      type(a.lastIndexed) == "string" and a.lastIndexed or "never"
    ))
  end
  if status.indexing then
    h.info("indexing: a run is in progress")
  elseif status.sessions == 0 then
    h.warn("the database has no session yet", { "run `mantra index`, or enable background_index" })
  else
    h.ok("indexing: idle" .. (status.watching and ", watching for new steps" or ""))
  end
end

---Called by :checkhealth. Never raises: a failure is reported as an error line.
function M.check()
  local h = compat.health()
  local ok, e = pcall(check, h)
  if not ok then
    h.error("the health check itself failed: " .. tostring(e))
  end
end

return M
