-- vaultlink's Neovim plugin: highlight groups, and vault references drawn with them in every
-- buffer vaultlink reads, whatever highlights the rest (Vim syntax or tree-sitter). The language
-- server itself is configured in lsp/vaultlink.lua and started by `vim.lsp.enable('vaultlink')`.
if vim.g.loaded_vaultlink then
  return
end
vim.g.loaded_vaultlink = true

-- Linked to common groups that every colour scheme draws in a colour of their own (Neovim's
-- default draws `Constant` as plain text); override with nvim_set_hl.
vim.api.nvim_set_hl(0, 'VaultlinkReference', { link = 'Special', default = true })
vim.api.nvim_set_hl(0, 'VaultlinkReferenceName', { link = 'Identifier', default = true })
-- The tree-sitter captures of grammars/queries (for users of an `http` tree-sitter parser).
vim.api.nvim_set_hl(0, '@vaultlink.reference', { link = 'VaultlinkReference', default = true })
vim.api.nvim_set_hl(0, '@vaultlink.name', { link = 'VaultlinkReferenceName', default = true })

require('vaultlink').highlight_references()
