-- Telescope extension (loaded by require("telescope").load_extension("mantra")):
--   :Telescope mantra [query=…]       search, like :MantraFind (one entry per session)
--   :Telescope mantra sessions [all=true]   the project's sessions, like :MantraSessions
-- The data comes from the same functions the commands use; only the picker differs.
local ok, telescope = pcall(require, "telescope")
if not ok then
  error("mantra: this extension needs telescope.nvim")
end

local actions = require("telescope.actions")
local action_state = require("telescope.actions.state")
local finders = require("telescope.finders")
local pickers = require("telescope.pickers")
local previewers = require("telescope.previewers")
local conf = require("telescope.config").values

local find = require("mantra.find")
local sessions = require("mantra.sessions")
local ui = require("mantra.ui")

local function preview(lines_of)
  return previewers.new_buffer_previewer({
    define_preview = function(self, entry)
      vim.api.nvim_buf_set_lines(self.state.bufnr, 0, -1, false, lines_of(entry.value))
    end,
  })
end

local function on_choice(fn)
  return function(prompt_bufnr)
    actions.select_default:replace(function()
      local entry = action_state.get_selected_entry()
      actions.close(prompt_bufnr)
      if entry then
        fn(entry.value)
      end
    end)
    return true
  end
end

local function search_picker(opts, query)
  find.search(query, function(err, sessions)
    if err then
      return ui.error(err)
    end
    pickers
      .new(opts, {
        prompt_title = "Mantra: " .. query,
        finder = finders.new_table({
          results = sessions,
          entry_maker = function(hit)
            local line = find.format_hit(hit)
            return { value = hit, display = line, ordinal = line }
          end,
        }),
        sorter = conf.generic_sorter(opts),
        previewer = preview(function(hit)
          local s = hit.session
          local lines = {
            s.title,
            ("%s · %s · %d %s"):format(s.agent, ui.time(s.ended or s.started), hit.hits, hit.hits == 1 and "hit" or "hits"),
            s.id,
          }
          for _, step in ipairs(hit.steps) do
            table.insert(lines, "")
            table.insert(lines, ("#%d %s · %s"):format(step.seq, step.kind, ui.time(step.time)))
            vim.list_extend(lines, ui.lines(step.snippet))
          end
          return lines
        end),
        attach_mappings = on_choice(find.open),
      })
      :find()
  end)
end

local function mantra(opts)
  opts = opts or {}
  if opts.query and opts.query ~= "" then
    return search_picker(opts, opts.query)
  end
  vim.ui.input({ prompt = "Mantra search: " }, function(q)
    if q and q ~= "" then
      search_picker(opts, q)
    end
  end)
end

local function sessions_picker(opts)
  opts = opts or {}
  local all = opts.all == true or opts.all == "true"
  sessions.list({ project = (not all) and vim.fn.getcwd() or false }, function(err, list)
    if err then
      return ui.error(err)
    end
    pickers
      .new(opts, {
        prompt_title = all and "Mantra sessions" or "Mantra sessions in this project",
        finder = finders.new_table({
          results = list,
          entry_maker = function(s)
            local line = sessions.format_session(s)
            return { value = s, display = line, ordinal = line }
          end,
        }),
        sorter = conf.generic_sorter(opts),
        previewer = preview(function(s)
          return {
            s.title,
            s.id,
            s.agent .. (s.model and (" · " .. s.model) or ""),
            s.project,
            ("%s → %s · %d steps"):format(ui.time(s.started), ui.time(s.ended), s.events),
          }
        end),
        attach_mappings = on_choice(function(s)
          require("mantra.replay").open(s.id)
        end),
      })
      :find()
  end)
end

return telescope.register_extension({
  exports = {
    mantra = mantra,
    find = mantra,
    sessions = sessions_picker,
  },
})
