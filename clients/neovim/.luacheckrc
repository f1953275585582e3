-- luacheck (Debian: lua-check): run `luacheck .` in clients/neovim
std = "luajit"
globals = { "vim" }
max_line_length = 130
