-- vaultlink's language server for Neovim 0.11+: `vim.lsp.enable('vaultlink')` uses this table
-- (merged with anything given to `vim.lsp.config('vaultlink', {...})`).
--
-- It attaches to `.http`/`.rest` buffers (filetype `http`) and to the JSON files vaultlink
-- reads: Postman collections and environments, `http-client.env.json` files and `vaultlink.json`
-- (other JSON files are left alone). The workspace is the nearest folder with a `vaultlink.json`
-- (else a `.git`), else the file's own folder. On attach, buffer-local commands are created:
-- `:LspVaultlinkSend`, `:LspVaultlinkLink`, `:LspVaultlinkSignIn`, `:LspVaultlinkSignOut`,
-- `:LspVaultlinkTrust`.
--
-- Settings: `vim.lsp.config('vaultlink', { settings = { vaultlink = { env = 'dev' } } })`.
-- A workspace is untrusted (no sign-in, no `az`, no Key Vault, no send) unless it is in one of
-- `settings.vaultlink.trustedFolders`, or `:LspVaultlinkTrust` is run.

local root_markers = { 'vaultlink.json', '.git' }

---@type vim.lsp.Config
return {
  cmd = { 'vaultlink', 'lsp' },
  filetypes = { 'http', 'json', 'jsonc' },
  root_markers = root_markers,
  ---@param bufnr integer
  ---@param on_dir fun(root_dir?: string)
  root_dir = function(bufnr, on_dir)
    if not require('vaultlink').wants(bufnr) then
      return
    end
    local file = vim.api.nvim_buf_get_name(bufnr)
    on_dir(vim.fs.root(bufnr, root_markers) or (file ~= '' and vim.fs.dirname(file)) or vim.fn.getcwd())
  end,
  before_init = function(params, config)
    params.initializationOptions = vim.tbl_extend('force', params.initializationOptions or {}, {
      trusted = require('vaultlink').is_trusted(config.root_dir, config.settings),
    })
  end,
  on_attach = function(client, bufnr)
    require('vaultlink').on_attach(client, bufnr)
  end,
}
