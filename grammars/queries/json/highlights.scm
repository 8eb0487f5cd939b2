; extends
;
; vaultlink: a JSON string that is a {{vault:NAME}} reference — in Postman collections and
; environments, http-client.env.json files, and JSON bodies of .http files (injected). A
; reference inside a longer string ("Bearer {{vault:key}}") is drawn by the plugin in
; editors/neovim, since a query can only mark whole nodes.
((string_content) @vaultlink.reference
  (#lua-match? @vaultlink.reference "^{{%s*vault%s*:%s*[%w_.-]+%s*}}$"))
