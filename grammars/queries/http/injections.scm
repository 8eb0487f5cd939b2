; extends
;
; vaultlink: a one-line JSON body (`{"key": "{{vault:stripe-key}}"}`) is a `raw_body` for
; tree-sitter-http, whose `json_body` needs whitespace after the opening bracket. Inject JSON
; there too, so that the JSON queries (grammars/queries/json) mark the references in it.
((raw_body) @injection.content
  (#lua-match? @injection.content "^%s*[{%[]")
  (#set! injection.language "json"))
