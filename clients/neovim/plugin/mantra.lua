-- mantra.nvim: commands, <Plug> mappings and the mantra:// autocommands. Nothing is loaded
-- until one of them is used; no key is mapped for you (see :help mantra-mappings).
if vim.g.loaded_mantra then
  return
end
vim.g.loaded_mantra = 1

if vim.fn.has("nvim-0.7") == 0 then
  vim.api.nvim_echo({ { "mantra.nvim needs Neovim 0.7 or newer", "ErrorMsg" } }, true, {})
  return
end

local function run(name)
  return function(o)
    require("mantra")._command(name, o)
  end
end

local function complete(lead, line)
  return require("mantra")._complete(lead, line)
end

local command = vim.api.nvim_create_user_command
command("MantraFind", run("find"), { nargs = "?", desc = "Search the AI coding sessions" })
command("MantraReplay", run("replay"), {
  nargs = "*",
  complete = complete,
  desc = "Replay a session (default: the latest of this project)",
})
command("MantraSessions", run("sessions"), { nargs = 0, bang = true, desc = "This project's sessions" })
command("MantraFile", run("file"), { nargs = "+", complete = complete, desc = "A file as it stood after a step" })
command("MantraDiff", run("diff"), { nargs = "+", complete = complete, desc = "The diff a step made" })
command("MantraOrigin", run("origin"), { nargs = 0, desc = "The prompt behind the line under the cursor" })

for lhs, rhs in pairs({
  ["<Plug>(mantra-find)"] = "<Cmd>MantraFind<CR>",
  ["<Plug>(mantra-replay)"] = "<Cmd>MantraReplay<CR>",
  ["<Plug>(mantra-sessions)"] = "<Cmd>MantraSessions<CR>",
  ["<Plug>(mantra-origin)"] = "<Cmd>MantraOrigin<CR>",
}) do
  vim.keymap.set("n", lhs, rhs, { silent = true })
end

local group = vim.api.nvim_create_augroup("mantra", { clear = true })
vim.api.nvim_create_autocmd("BufReadCmd", {
  group = group,
  pattern = "mantra://*",
  nested = true, -- setting 'filetype' runs FileType (syntax, ftplugins)
  callback = function(ev)
    local ok, err = pcall(require("mantra.files").read_cmd, ev.buf, ev.match)
    if not ok then
      vim.notify("mantra: internal error: " .. tostring(err), vim.log.levels.ERROR)
    end
  end,
})
-- :mksession recreates a window of a 'buftype' nofile buffer as an empty buffer with the right
-- name (`enew | file mantra://…`): read those again, which runs the BufReadCmd above.
vim.api.nvim_create_autocmd("SessionLoadPost", {
  group = group,
  nested = true, -- so the :edit below runs the BufReadCmd
  callback = function()
    for _, win in ipairs(vim.api.nvim_list_wins()) do
      local buf = vim.api.nvim_win_get_buf(win)
      if
        vim.api.nvim_buf_get_name(buf):find("^mantra://")
        and vim.bo[buf].buftype == ""
        and vim.api.nvim_buf_line_count(buf) == 1
        and vim.api.nvim_buf_get_lines(buf, 0, 1, false)[1] == ""
      then
        vim.api.nvim_win_call(win, function()
          vim.cmd("silent edit")
        end)
      end
    end
  end,
})
vim.api.nvim_create_autocmd("VimLeavePre", {
  group = group,
  callback = function()
    if package.loaded["mantra.rpc"] then
      require("mantra.rpc").stop()
    end
  end,
})
vim.api.nvim_create_autocmd("ColorScheme", {
  group = group,
  callback = function()
    if package.loaded["mantra.ui"] then
      require("mantra.ui").highlights()
    end
  end,
})
