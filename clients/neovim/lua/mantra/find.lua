-- :MantraFind: search with the server's query language (words, "phrases", prefix*, -word, OR,
-- parts of identifiers, and filters such as file:, agent:, cmd:, failed, after:7d; project:. is
-- Neovim's working folder). One entry per session in vim.ui.select (so telescope / fzf-lua /
-- dressing users get their own picker), showing its best step; choosing one opens the replay
-- at that step.
local config = require("mantra.config")
local rpc = require("mantra.rpc")
local ui = require("mantra.ui")

local M = {}

---Searches. `cb(err, sessions)`, sessions as in mantra/search's grouped result: each
---`{session = Session, hits, score, steps = {{seq, kind, time, snippet, highlights}}, files}`.
---@param query string
---@param cb fun(err: MantraError|nil, sessions: table[]|nil)
---@param limit integer|nil default: find.limit
function M.search(query, cb, limit)
  local params = { query = query, limit = limit or config.get().find.limit, cwd = vim.fn.getcwd() }
  rpc.request("mantra/search", params, function(err, r)
    cb(err, r and r.sessions)
  end)
end

---One line for a session of the result: "title · agent · date · N hits │ #seq kind: snippet".
---@param hit table a session of mantra/search's result
---@return string
function M.format_hit(hit)
  local s = hit.session
  local best = hit.steps[1]
  local step = best and ("#%d %s: %s"):format(best.seq, best.kind, ui.shorten(best.snippet, 100)) or ""
  return ("%s · %s · %s · %d %s │ %s"):format(
    ui.shorten(s.title ~= "" and s.title or s.id, 40),
    s.agent,
    ui.time(best and best.time or s.ended or s.started):sub(1, 16),
    hit.hits,
    hit.hits == 1 and "hit" or "hits",
    step
  )
end

---Opens the replay of a session of the result at its best step.
---@param hit table
function M.open(hit)
  local best = hit.steps[1]
  require("mantra.replay").open(hit.session.id, { seq = best and best.seq })
end

---:MantraFind [query]: asks for the query when none is given.
---@param query string|nil
function M.find(query)
  if not query or query == "" then
    return vim.ui.input({ prompt = "Mantra search: " }, function(q)
      if q and q ~= "" then
        M.find(q)
      end
    end)
  end
  M.search(query, function(err, sessions)
    if err then
      return ui.error(err)
    end
    if #sessions == 0 then
      return ui.notify(("no session matches %s"):format(query), vim.log.levels.WARN)
    end
    vim.ui.select(sessions, {
      prompt = ("Mantra: %s"):format(query),
      kind = "mantra_hit",
      format_item = M.format_hit,
    }, function(hit)
      if hit then
        M.open(hit)
      end
    end)
  end)
end

return M
