-- Reads back what vaultlink gives Neovim for the current `.http` buffer and writes it as JSON.
--
--   VAULTLINK_NVIM_OUT=report.json \
--     nvim --headless -u tests/neovim/init.lua -c 'luafile tests/neovim/check.lua' api.http
--
-- Steps, each waited for with a bounded `vim.wait`:
--   1. the `vaultlink` client attaches to the buffer;
--   2. its diagnostics arrive and settle (`vim.diagnostic.get(0)`, byte columns);
--   3. a hover with the cursor inside the first named `{{vault:NAME}}`;
--   4. a completion with the cursor right after `{{vault:` in the first `{{vault:}}`;
--   5. a line `X-Typed: é中😀 {{vault:` is inserted below the hover's line, as if typed
--      (Neovim sends an incremental `didChange`), then a completion at its end, and the
--      diagnostics once they have changed and settled again.
-- The report is written even when a step fails; the step's message then goes to stderr and
-- Neovim exits with status 1 (`cquit`), so a caller never waits for a hung editor.

local TIMEOUT_MS = tonumber(vim.env.VAULTLINK_NVIM_TIMEOUT_MS) or 15000
-- Diagnostics count as settled when none changed for this long.
local SETTLE_MS = 500
local TYPED = 'X-Typed: é中😀 {{vault:'

local out = vim.env.VAULTLINK_NVIM_OUT
local buf = vim.api.nvim_get_current_buf()
local report = {
  nvim = tostring(vim.version()),
  file = vim.api.nvim_buf_get_name(buf),
  filetype = vim.bo[buf].filetype,
  lsp_log = vim.lsp.get_log_path(),
}

local last_change = vim.uv.now()
local changes = 0
vim.api.nvim_create_autocmd('DiagnosticChanged', {
  buffer = buf,
  callback = function()
    changes = changes + 1
    last_change = vim.uv.now()
  end,
})

local function diagnostics()
  local list = {}
  for _, d in ipairs(vim.diagnostic.get(buf)) do
    local ns = vim.diagnostic.get_namespace(d.namespace)
    list[#list + 1] = {
      lnum = d.lnum,
      col = d.col,
      end_lnum = d.end_lnum,
      end_col = d.end_col,
      severity = d.severity,
      code = d.code,
      source = d.source,
      message = d.message,
      namespace = ns and ns.name or d.namespace,
    }
  end
  table.sort(list, function(a, b)
    if a.lnum ~= b.lnum then
      return a.lnum < b.lnum
    end
    return a.col < b.col
  end)
  return list
end

-- Waits until at least one diagnostic is there, the buffer saw more than `after` changes,
-- and nothing changed for SETTLE_MS.
local function settled_diagnostics(after, what)
  local ok = vim.wait(TIMEOUT_MS, function()
    return changes > after
      and #vim.diagnostic.get(buf) > 0
      and vim.uv.now() - last_change >= SETTLE_MS
  end, 20)
  if not ok then
    error(('no diagnostics %s within %d ms (%d diagnostic changes seen)'):format(what, TIMEOUT_MS, changes))
  end
  return diagnostics()
end

-- The 0-based line and byte column of the first `needle` in the buffer.
local function find(needle)
  for i, line in ipairs(vim.api.nvim_buf_get_lines(buf, 0, -1, false)) do
    local col = line:find(needle, 1, true)
    if col then
      return i - 1, col - 1
    end
  end
  error(('%q is not in the buffer'):format(needle))
end

-- Sends `method` at (row, byte col) with the cursor there, as `vim.lsp.buf.*` would, and
-- keeps vaultlink's answer. The position is converted from the byte column to the negotiated
-- encoding by Neovim itself; it is not taken from the cursor, which in Normal mode cannot
-- stand after the last character of a line, where a user typing in Insert mode stands.
local function request_at(client, method, row, col)
  vim.api.nvim_win_set_cursor(0, { row + 1, col })
  local line = vim.api.nvim_buf_get_lines(buf, row, row + 1, false)[1]
  local params = {
    textDocument = vim.lsp.util.make_text_document_params(buf),
    position = {
      line = row,
      character = vim.str_utfindex(line, client.offset_encoding, col, false),
    },
  }
  local results, err = vim.lsp.buf_request_sync(buf, method, params, TIMEOUT_MS)
  if not results then
    error(('%s: no answer within %d ms (%s)'):format(method, TIMEOUT_MS, tostring(err)))
  end
  local answer = results[client.id] or {}
  return {
    row = row,
    col = col,
    position = params.position,
    result = answer.result == nil and vim.NIL or answer.result,
    error = answer.err and { code = answer.err.code, message = answer.err.message } or vim.NIL,
  }
end

local function main()
  if not out or out == '' then
    error('VAULTLINK_NVIM_OUT (where to write the report) is not set')
  end

  -- 1. Attach.
  local client
  local attached = vim.wait(TIMEOUT_MS, function()
    client = vim.lsp.get_clients({ bufnr = buf, name = 'vaultlink' })[1]
    return client ~= nil
  end, 20)
  if not attached then
    local names = {}
    for _, c in ipairs(vim.lsp.get_clients()) do
      names[#names + 1] = c.name
    end
    error(
      ('vaultlink did not attach within %d ms (filetype %q, clients: [%s]; see %s)'):format(
        TIMEOUT_MS,
        vim.bo[buf].filetype,
        table.concat(names, ', '),
        vim.lsp.get_log_path()
      )
    )
  end
  local caps = client.server_capabilities or {}
  report.client = {
    name = client.name,
    offset_encoding = client.offset_encoding,
    server_info = client.server_info,
    root_dir = client.root_dir,
    hover = caps.hoverProvider ~= nil,
    completion = caps.completionProvider ~= nil,
    pull_diagnostics = caps.diagnosticProvider ~= nil,
  }

  -- 2. Diagnostics.
  report.diagnostics = settled_diagnostics(0, 'after opening the file')

  -- 3. Hover inside the first named reference, on the second character of its name.
  do
    local row, start
    for i, line in ipairs(vim.api.nvim_buf_get_lines(buf, 0, -1, false)) do
      start = line:find('{{vault:[%w_.-]+}}')
      if start then
        row = i - 1
        break
      end
    end
    if not row then
      error('the buffer has no {{vault:NAME}} to hover')
    end
    report.hover = request_at(client, 'textDocument/hover', row, start - 1 + #'{{vault:' + 1)
  end

  -- 4. Completion right after `{{vault:` in the first `{{vault:}}`.
  do
    local row, col = find('{{vault:}}')
    report.completion = request_at(client, 'textDocument/completion', row, col + #'{{vault:')
  end

  -- 5. Type a new line below the hovered reference, complete at its end, and read the
  -- diagnostics again.
  do
    local row = report.hover.row + 1
    local before = changes
    vim.api.nvim_buf_set_lines(buf, row, row, false, { TYPED })
    report.typed = { row = row, text = TYPED }
    report.typed_completion = request_at(client, 'textDocument/completion', row, #TYPED)
    report.diagnostics_after_edit = settled_diagnostics(before, 'after the edit')
  end
end

local function write_report()
  local f = assert(io.open(out, 'w'))
  f:write(vim.json.encode(report))
  f:close()
end

local ok, err = xpcall(main, debug.traceback)
if not ok then
  report.error = tostring(err)
end
if out and out ~= '' then
  local written, werr = pcall(write_report)
  if not written then
    ok, err = false, ('%s\ncould not write %s: %s'):format(tostring(err), out, tostring(werr))
  end
end
if ok then
  vim.cmd('qa!')
else
  io.stderr:write('check.lua: ' .. tostring(err) .. '\n')
  io.stderr:flush()
  vim.cmd('cquit 1')
end
