-- A minimal Neovim (0.11 or newer) configuration for vaultlink: no plugins, only Neovim's own
-- LSP client, configured with the native `vim.lsp.config` / `vim.lsp.enable` API exactly as a
-- user would write it in their init.lua.
--
-- The end-to-end test (tests/neovim.rs) runs
--   nvim --headless -u tests/neovim/init.lua -c 'luafile tests/neovim/check.lua' api.http
-- Everything below the "vaultlink" header is what a user needs; it is meant to move to
-- editors/neovim/lsp/vaultlink.lua (returning the table given to `vim.lsp.config`).

-- Test harness only: no swap files, no shada, nothing read from or written to the user's
-- state (the test also points HOME and XDG_* into a temporary folder).
vim.o.swapfile = false
vim.o.shadafile = 'NONE'
vim.o.loadplugins = false

-- vaultlink ---------------------------------------------------------------------------------

-- `.http` files are detected as `http` by Neovim already; `.rest` (REST Client) is not.
vim.filetype.add({ extension = { http = 'http', rest = 'http' } })

vim.lsp.config('vaultlink', {
  -- `vaultlink` on PATH; the test passes the binary it built through VAULTLINK_BIN.
  cmd = { vim.env.VAULTLINK_BIN or 'vaultlink', 'lsp' },
  filetypes = { 'http' },
  -- The nearest folder with a links file (or the repository root) is the workspace.
  root_markers = { 'vaultlink.json', '.git' },
})
vim.lsp.enable('vaultlink')
