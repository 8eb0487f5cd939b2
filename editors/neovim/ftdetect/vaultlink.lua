-- `.http` is `http` in Neovim already; `.rest` (REST Client's extension) is not.
vim.filetype.add({ extension = { http = 'http', rest = 'http' } })
