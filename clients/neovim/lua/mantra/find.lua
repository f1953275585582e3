-- :MantraFind: full-text search (the server's query language: words, "phrases", prefix*), the
-- hits in vim.ui.select (so telescope / fzf-lua / dressing users get their own picker);
-- choosing a hit opens the replay at that step.
local config = require("mantra.config")
local rpc = require("mantra.rpc")
local ui = require("mantra.ui")

local M = {}

---Searches. `cb(err, hits)`, hits as in mantra/search.
---@param query string
---@param cb fun(err: MantraError|nil, hits: table[]|nil)
---@param limit integer|nil default: find.limit
function M.search(query, cb, limit)
  rpc.request("mantra/search", { query = query, limit = limit or config.get().find.limit }, function(err, r)
    cb(err, r and r.hits)
  end)
end

---One line for a hit: "title · kind #seq · agent · date │ snippet".
---@param hit table
---@return string
function M.format_hit(hit)
  return ("%s · %s #%d · %s · %s │ %s"):format(
    ui.shorten(hit.title ~= "" and hit.title or hit.session, 40),
    hit.kind,
    hit.seq,
    hit.agent,
    ui.time(hit.time):sub(1, 16),
    ui.shorten(hit.snippet, 100)
  )
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
  M.search(query, function(err, hits)
    if err then
      return ui.error(err)
    end
    if #hits == 0 then
      return ui.notify(("no step matches %s"):format(query), vim.log.levels.WARN)
    end
    vim.ui.select(hits, {
      prompt = ("Mantra: %s"):format(query),
      kind = "mantra_hit",
      format_item = M.format_hit,
    }, function(hit)
      if hit then
        require("mantra.replay").open(hit.session, { seq = hit.seq })
      end
    end)
  end)
end

return M
