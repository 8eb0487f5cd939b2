; extends
;
; vaultlink: {{vault:NAME}} references for Neovim users of the `http` tree-sitter parser
; (rest-nvim/tree-sitter-http, as nvim-treesitter installs it). Add vaultlink's `grammars`
; folder to 'runtimepath'; `; extends` adds these patterns to the parser's own queries.
;
; tree-sitter-http reads `{{name}}` as a `variable` whose name has no `:`, so `{{vault:NAME}}`
; comes out as an ERROR node inside a header value, target or body: mark those. (The plugin in
; editors/neovim also draws every reference exactly, whatever the parser makes of it.)
((ERROR) @vaultlink.reference
  (#lua-match? @vaultlink.reference "^{{%s*vault%s*:"))

