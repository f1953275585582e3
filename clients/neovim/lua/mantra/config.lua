-- The options of require("mantra").setup(): one schema (type, default, description), checked
-- with a clear warning; a bad value keeps its default.
local M = {}

---@class MantraConfig
---@field cmd string the `mantra` executable (a name on $PATH or a path)
---@field db string|nil the database (`--db`); nil: $MANTRA_DB or mantra's default
---@field background_index boolean let the server index the agents' folders when it starts
---@field timeout integer milliseconds to wait for an answer when Neovim must block
---@field notify_progress boolean report the end of each index run with vim.notify
---@field find table `limit`: sessions asked for
---@field sessions table `limit`: sessions listed
---@field replay table `show_meta`, `show_reasoning`, `max_output_lines`, `layout`, `keys`
---@field origin table `hover`: show the origin in a float on CursorHold

---@type table<string, {[1]: string, [2]: any, [3]: string}>
M.schema = {
  cmd = { "string", "mantra", "the mantra executable: a name on $PATH or a path" },
  db = { "string", nil, "the database passed as --db (nil: $MANTRA_DB or mantra's default)" },
  background_index = {
    "boolean",
    true,
    "let the server index every agent's folders after it starts",
  },
  timeout = { "number", 10000, "milliseconds to wait where Neovim must block (loading a buffer)" },
  notify_progress = { "boolean", false, "vim.notify when an index run ends" },
  find = { "table", { limit = 50 }, "limit: how many sessions :MantraFind asks for" },
  sessions = { "table", { limit = 50 }, "limit: how many sessions :MantraSessions lists" },
  replay = {
    "table",
    {
      show_meta = false,
      show_reasoning = true,
      max_output_lines = 12,
      layout = "horizontal",
      keys = { next = "]s", prev = "[s", open = "<CR>", close = "q" },
    },
    "the conversation buffer: hidden kinds, output shortening, where steps open, its keys",
  },
  origin = { "table", { hover = false }, "hover: show the origin of the line in a float on CursorHold" },
}

local values = {}

local function warn(msg)
  vim.schedule(function()
    vim.notify("mantra: " .. msg, vim.log.levels.WARN)
  end)
end

---Checks `value` against `default` key by key (tables recursively); returns the merged value.
local function merge(name, default, value)
  if type(default) ~= "table" or require("mantra.compat").islist(default) then
    return value
  end
  local out = vim.deepcopy(default)
  for k, v in pairs(value) do
    local d = default[k]
    if d == nil then
      warn(("unknown option '%s.%s' (ignored)"):format(name, k))
    elseif type(v) ~= type(d) and v ~= false then
      warn(("option '%s.%s' must be a %s, not %s (the default is kept)"):format(name, k, type(d), type(v)))
    else
      out[k] = merge(name .. "." .. k, d, v)
    end
  end
  return out
end

---Applies user options over the defaults. Unknown keys and wrong types are reported, not fatal.
---@param opts table|nil
function M.set(opts)
  values = {}
  for name, spec in pairs(M.schema) do
    values[name] = vim.deepcopy(spec[2])
  end
  for name, v in pairs(opts or {}) do
    local spec = M.schema[name]
    if not spec then
      warn(("unknown option '%s' (ignored)"):format(name))
    elseif type(v) ~= spec[1] then
      warn(("option '%s' must be a %s, not %s (the default is kept)"):format(name, spec[1], type(v)))
    else
      values[name] = merge(name, spec[2], v)
    end
  end
end

---The current options (defaults until setup() is called).
---@return MantraConfig
function M.get()
  if next(values) == nil then
    M.set({})
  end
  return values
end

return M
