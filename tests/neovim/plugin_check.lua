-- Drives vaultlink's Neovim plugin (editors/neovim) the way a person would, and writes what it
-- saw as JSON to $VAULTLINK_NVIM_OUT. Run by tests/neovim_plugin.rs:
--
--   nvim --headless -u <README's Neovim lines> -c 'luafile tests/neovim/plugin_check.lua' api.http
--
-- Steps, each waited for with a bounded `vim.wait`:
--   1. the `vaultlink` client attaches to the buffer, and the buffer-local commands exist;
--      the person trusts the workspace (`:LspVaultlinkTrust`);
--   2. diagnostics arrive and settle;
--   3. a hover inside `{{vault:stripe-key}}`;
--   4. `:LspVaultlinkSend` with the cursor in the first request: the response buffer appears;
--   5. `:checkhealth vaultlink`, its lines;
--   6. the tree-sitter queries of grammars/queries parse (syntax only).
-- The report is written even when a step fails; the failure then goes to stderr and Neovim
-- exits with status 1.

local TIMEOUT_MS = tonumber(vim.env.VAULTLINK_NVIM_TIMEOUT_MS) or 20000
local SETTLE_MS = 500

local out = vim.env.VAULTLINK_NVIM_OUT
local buf = vim.api.nvim_get_current_buf()
local report = {
  nvim = tostring(vim.version()),
  file = vim.api.nvim_buf_get_name(buf),
  filetype = vim.bo[buf].filetype,
  runtimepath = vim.o.runtimepath,
}

local last_change, changes = vim.uv.now(), 0
vim.api.nvim_create_autocmd('DiagnosticChanged', {
  buffer = buf,
  callback = function()
    changes = changes + 1
    last_change = vim.uv.now()
  end,
})

-- Messages the plugin shows (vim.notify), kept for the report.
local messages = {}
vim.notify = function(msg, level)
  messages[#messages + 1] = { msg = msg, level = level }
end
report.messages = messages

local function wait(what, cond)
  if not vim.wait(TIMEOUT_MS, cond, 20) then
    error(('%s: not within %d ms'):format(what, TIMEOUT_MS))
  end
end

local function main()
  if not out or out == '' then
    error('VAULTLINK_NVIM_OUT (where to write the report) is not set')
  end

  -- 1. Attach, and the commands created on attach.
  local client
  wait('vaultlink attaches to ' .. report.file, function()
    client = vim.lsp.get_clients({ bufnr = buf, name = 'vaultlink' })[1]
    return client ~= nil and client.initialized
  end)
  report.client = { name = client.name, root_dir = client.root_dir, offset_encoding = client.offset_encoding }
  local commands = vim.tbl_keys(vim.api.nvim_buf_get_commands(buf, {}))
  table.sort(commands)
  report.buffer_commands = commands
  -- The workspace starts untrusted: a sign-in is refused until the person trusts it.
  local before = client:request_sync(
    'workspace/executeCommand',
    { command = 'vaultlink.signIn', arguments = { { method = 'environment' } } },
    TIMEOUT_MS,
    buf
  )
  report.untrusted_sign_in = before and before.err and before.err.message or vim.NIL
  local vaultlink = require('vaultlink')
  local root = client.root_dir
  local function trusted(folder)
    return vaultlink.is_trusted(root, folder and { vaultlink = { trustedFolders = { folder } } } or nil)
  end
  report.trusted_folders = {
    same = trusted(root),
    parent = trusted(vim.fs.dirname(root)),
    other = trusted(root .. '-other'),
    none = trusted(nil),
  }
  vim.cmd('LspVaultlinkTrust')

  -- 2. Diagnostics, settled.
  wait('diagnostics', function()
    return changes > 0 and #vim.diagnostic.get(buf) > 0 and vim.uv.now() - last_change >= SETTLE_MS
  end)
  report.diagnostics = {}
  for _, d in ipairs(vim.diagnostic.get(buf)) do
    report.diagnostics[#report.diagnostics + 1] =
      { lnum = d.lnum, col = d.col, code = d.code, severity = d.severity, message = d.message }
  end

  -- The code lenses the plugin asks for on attach.
  wait('code lenses', function()
    return #vim.lsp.codelens.get(buf) > 0
  end)
  report.lenses = {}
  for _, lens in ipairs(vim.lsp.codelens.get(buf)) do
    report.lenses[#report.lenses + 1] = {
      line = lens.range.start.line,
      title = lens.command and lens.command.title or vim.NIL,
      command = lens.command and lens.command.command or vim.NIL,
    }
  end

  -- 3. Hover inside the first `{{vault:stripe-key}}`.
  do
    local row, col
    for i, line in ipairs(vim.api.nvim_buf_get_lines(buf, 0, -1, false)) do
      local s = line:find('{{vault:stripe-key}}', 1, true)
      if s then
        row, col = i - 1, s - 1 + #'{{vault:' + 2
        break
      end
    end
    assert(row, 'no {{vault:stripe-key}} in the buffer')
    vim.api.nvim_win_set_cursor(0, { row + 1, col })
    local params = vim.lsp.util.make_position_params(0, client.offset_encoding)
    local results = vim.lsp.buf_request_sync(buf, 'textDocument/hover', params, TIMEOUT_MS) or {}
    local answer = results[client.id] or {}
    report.hover = answer.result or vim.NIL
  end

  -- 4. Send the request under the cursor (still in the first request).
  vim.cmd('LspVaultlinkSend')
  local response_buf
  wait('the response buffer of :LspVaultlinkSend', function()
    for _, b in ipairs(vim.api.nvim_list_bufs()) do
      if vim.api.nvim_buf_is_valid(b) and vim.b[b].vaultlink_response ~= nil then
        response_buf = b
        return true
      end
    end
    return false
  end)
  local response_win = vim.fn.bufwinid(response_buf)
  report.response = {
    name = vim.api.nvim_buf_get_name(response_buf),
    filetype = vim.bo[response_buf].filetype,
    buftype = vim.bo[response_buf].buftype,
    modifiable = vim.bo[response_buf].modifiable,
    lines = vim.api.nvim_buf_get_lines(response_buf, 0, -1, false),
    shown = response_win ~= -1,
    winbar = response_win ~= -1 and vim.wo[response_win].winbar or vim.NIL,
    result = vim.b[response_buf].vaultlink_response,
    focus_stays = vim.api.nvim_get_current_buf() == buf,
  }

  -- 5. :checkhealth vaultlink
  vim.cmd('checkhealth vaultlink')
  report.health = vim.api.nvim_buf_get_lines(0, 0, -1, false)

  -- 6. The tree-sitter queries of grammars/queries parse as queries (Neovim bundles the
  -- `query` parser; the `http` and `json` parsers they are for are not bundled).
  report.queries = {}
  local dir = vim.env.VAULTLINK_QUERIES
  for _, file in ipairs(dir and vim.fs.find(function(name)
    return name:match('%.scm$') ~= nil
  end, { path = dir, type = 'file', limit = math.huge }) or {}) do
    local text = table.concat(vim.fn.readfile(file), '\n')
    local tree = vim.treesitter.get_string_parser(text, 'query'):parse()[1]
    report.queries[#report.queries + 1] = { file = file, error = tree:root():has_error() }
  end
end

local ok, err = xpcall(main, debug.traceback)
if not ok then
  report.error = tostring(err)
end
if out and out ~= '' then
  local f = assert(io.open(out, 'w'))
  f:write(vim.json.encode(report))
  f:close()
end
if ok then
  vim.cmd('qa!')
else
  io.stderr:write('plugin_check.lua: ' .. tostring(err) .. '\n')
  io.stderr:flush()
  vim.cmd('cquit 1')
end
