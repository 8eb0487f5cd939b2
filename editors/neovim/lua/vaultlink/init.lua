-- vaultlink in Neovim: the buffer-local commands created when the server attaches, the
-- response view of Send Request, and the highlighting of `{{vault:NAME}}`. The commands call
-- the server's `workspace/executeCommand` commands (SPEC §6) through `client:exec_cmd()`.
local M = {}

local SEND = 'vaultlink.sendRequest'
local LINK = 'vaultlink.linkSecret'
local SIGN_IN = 'vaultlink.signIn'
local SIGN_OUT = 'vaultlink.signOut'
local METHODS = { 'browser', 'device-code', 'azure-cli', 'environment' }

local function notify(msg, level)
  vim.notify('vaultlink: ' .. msg, level or vim.log.levels.INFO)
end

--- Whether vaultlink reads this buffer: `http` buffers, and the JSON files of SPEC §2.
---@param bufnr integer
---@return boolean
function M.wants(bufnr)
  if vim.bo[bufnr].filetype == 'http' then
    return true
  end
  local name = vim.fs.basename(vim.api.nvim_buf_get_name(bufnr))
  if
    name == 'vaultlink.json'
    or name == 'http-client.env.json'
    or name == 'http-client.private.env.json'
    or name:match('%.postman_collection%.json$')
    or name:match('%.postman_environment%.json$')
  then
    return true
  end
  -- Any other JSON file is a collection when its `info.schema` names Postman's schema.
  local head = table.concat(vim.api.nvim_buf_get_lines(bufnr, 0, 60, false), '\n')
  return head:find('schema.getpostman.com/json/collection', 1, true) ~= nil
end

--- The vaultlink client of a buffer.
---@param bufnr integer
---@return vim.lsp.Client?
local function client_of(bufnr)
  local client = vim.lsp.get_clients({ bufnr = bufnr, name = 'vaultlink' })[1]
  if not client then
    notify('the language server is not attached to this buffer (see :checkhealth vaultlink)', vim.log.levels.ERROR)
  end
  return client
end

--- Runs a server command with one argument object; `on_result(result)` on success, errors are
--- shown.
local function exec(client, bufnr, command, argument, on_result)
  local handler = function(err, result)
    if err then
      notify(('%s failed: %s'):format(command, err.message or tostring(err)), vim.log.levels.ERROR)
      return
    end
    if on_result then
      on_result(result)
    end
  end
  local cmd = { title = command, command = command, arguments = { argument } }
  if client.exec_cmd then
    client:exec_cmd(cmd, { bufnr = bufnr }, handler)
  else -- Neovim 0.10
    client.request('workspace/executeCommand', { command = command, arguments = { argument } }, handler, bufnr)
  end
end

--- JSON text indented two spaces per level, keys and numbers exactly as received; nil when the
--- text is not JSON.
---@param text string
---@return string[]?
function M.pretty_json(text)
  local ok = pcall(vim.json.decode, text)
  if not ok or vim.trim(text) == '' then
    return nil
  end
  local out, depth, i, n = {}, 0, 1, #text
  local line = {}
  local function newline()
    out[#out + 1] = table.concat(line)
    line = { string.rep('  ', depth) }
  end
  text = vim.trim(text)
  n = #text
  while i <= n do
    local c = text:sub(i, i)
    if c == '"' then
      local j = i + 1
      while j <= n and text:sub(j, j) ~= '"' do
        j = j + (text:sub(j, j) == '\\' and 2 or 1)
      end
      line[#line + 1] = text:sub(i, j)
      i = j
    elseif c == '{' or c == '[' then
      local close = c == '{' and '}' or ']'
      local k = i + 1
      while text:sub(k, k):match('%s') do
        k = k + 1
      end
      if text:sub(k, k) == close then
        line[#line + 1] = c .. close
        i = k
      else
        line[#line + 1] = c
        depth = depth + 1
        newline()
      end
    elseif c == '}' or c == ']' then
      depth = depth - 1
      newline()
      line[#line + 1] = c
    elseif c == ',' then
      line[#line + 1] = ','
      newline()
    elseif c == ':' then
      line[#line + 1] = ': '
    elseif not c:match('%s') then
      line[#line + 1] = c
    end
    i = i + 1
  end
  out[#out + 1] = table.concat(line)
  return out
end

local function header(headers, name)
  for _, h in ipairs(headers or {}) do
    if type(h[1]) == 'string' and h[1]:lower() == name then
      return h[2]
    end
  end
end

--- What the response buffer shows: its lines, filetype and title.
---@param r table the result of `vaultlink.sendRequest`
---@return { lines: string[], filetype: string, title: string }
function M.format_response(r)
  local elapsed = (r.elapsedMs or 0) < 1000 and ('%d ms'):format(r.elapsedMs or 0)
    or ('%.1f s'):format(r.elapsedMs / 1000)
  local request = r.request or {}
  local host = (request.url or ''):match('^%a[%w+.-]*://([^/?#]*)') or request.url or ''
  local title = ('%s %s · %s · %s %s'):format(r.status, r.statusText or '', elapsed, request.method or '', host)
  local content_type = (header(r.headers, 'content-type') or ''):lower()
  if r.bodyEncoding == 'base64' then
    local bytes = math.floor(#(r.body or ''):gsub('=+$', '') * 3 / 4)
    return {
      lines = { ('<%d bytes of binary data%s>'):format(bytes, content_type ~= '' and (' (' .. content_type .. ')') or '') },
      filetype = '',
      title = title,
    }
  end
  local body = r.body or ''
  if content_type == '' or content_type:find('json', 1, true) then
    local pretty = M.pretty_json(body)
    if pretty then
      return { lines = pretty, filetype = 'json', title = title }
    end
  end
  local filetype = content_type:find('xml', 1, true) and 'xml' or content_type:find('html', 1, true) and 'html' or 'text'
  return { lines = vim.split(body, '\r?\n'), filetype = filetype, title = title }
end

--- Shows a response in a scratch split beside the request (reusing the last response window).
---@param result table
---@return integer bufnr
function M.show_response(result)
  local view = M.format_response(result)
  local from = vim.api.nvim_get_current_win()
  local buf = vim.api.nvim_create_buf(false, true)
  vim.bo[buf].bufhidden = 'wipe'
  vim.api.nvim_buf_set_lines(buf, 0, -1, false, view.lines)
  vim.bo[buf].modifiable = false
  vim.bo[buf].filetype = view.filetype
  vim.b[buf].vaultlink_response = result
  local name = 'vaultlink://' .. view.title
  for n = 2, 100 do
    if pcall(vim.api.nvim_buf_set_name, buf, name) then
      break
    end
    name = ('vaultlink://%s (%d)'):format(view.title, n)
  end

  local win
  for _, w in ipairs(vim.api.nvim_tabpage_list_wins(0)) do
    if vim.w[w].vaultlink_response then
      win = w
    end
  end
  if win then
    vim.api.nvim_win_set_buf(win, buf)
  else
    win = vim.api.nvim_open_win(buf, false, { split = vim.o.columns >= 160 and 'right' or 'below', win = from })
    vim.w[win].vaultlink_response = true
  end
  vim.wo[win].winbar = '%#Title#' .. view.title:gsub('%%', '%%%%') .. '%*'
  return buf
end

--- Sends a `vaultlink.sendRequest` and shows its response. Registered as the client-side
--- handler of that command (see `M.on_attach`), so that `:LspVaultlinkSend` and the server's
--- "▶ Send" code lenses both end here.
---@param command lsp.Command
---@param ctx { bufnr: integer, client_id: integer }
function M.send_command(command, ctx)
  local client = vim.lsp.get_client_by_id(ctx.client_id)
  if not client then
    return
  end
  notify('sending the request…')
  -- Running a lens clears it: draw the lenses again.
  M.refresh_lenses(client)
  local params = { command = command.command, arguments = command.arguments }
  local handler = function(err, result)
    if err then
      notify('Send Request failed: ' .. (err.message or tostring(err)), vim.log.levels.ERROR)
      return
    end
    if type(result) ~= 'table' or result.status == nil then
      notify('the server answered Send Request with no response', vim.log.levels.ERROR)
      return
    end
    M.show_response(result)
    notify(('%s %s in %d ms'):format(result.status, result.statusText or '', result.elapsedMs or 0))
  end
  if vim.fn.has('nvim-0.11') == 1 then
    client:request('workspace/executeCommand', params, handler, ctx.bufnr)
  else
    client.request('workspace/executeCommand', params, handler, ctx.bufnr)
  end
end

--- `:LspVaultlinkSend`: sends the request under the cursor.
---@param bufnr integer
function M.send(bufnr)
  local client = client_of(bufnr)
  if not client then
    return
  end
  local params = vim.lsp.util.make_position_params(0, client.offset_encoding)
  local command = { title = 'Send', command = SEND, arguments = { { uri = params.textDocument.uri, position = params.position } } }
  if client.exec_cmd then
    client:exec_cmd(command, { bufnr = bufnr })
  else -- Neovim 0.10
    M.send_command(command, { bufnr = bufnr, client_id = client.id })
  end
end

--- The name of the `{{vault:NAME}}` under the cursor.
local function reference_under_cursor()
  local line = vim.api.nvim_get_current_line()
  local col = vim.api.nvim_win_get_cursor(0)[2] + 1
  local init = 1
  while true do
    local s, e, name = line:find('{{%s*vault%s*:%s*([%w_.-]*)%s*}}', init)
    if not s then
      return nil
    end
    if col >= s and col <= e then
      return name
    end
    init = e + 1
  end
end

--- The reason `id` is not a Key Vault secret identifier (SPEC §4), or nil. The server checks
--- it fully; this catches the usual mistakes before asking it.
---@param id string
---@return string?
function M.check_identifier(id)
  local scheme, host, path = id:match('^(%a+)://([^/?#]+)(.*)$')
  if not scheme or scheme:lower() ~= 'https' then
    return 'expected https://<vault>.vault.azure.net/secrets/<name>[/<version>]'
  end
  host = host:lower():gsub(':443$', '')
  local vault
  for _, suffix in ipairs({ 'vault.azure.net', 'vault.azure.cn', 'vault.usgovcloudapi.net' }) do
    vault = vault or host:match('^([%w-]+)%.' .. vim.pesc(suffix) .. '$')
  end
  if not vault then
    return ('`%s` is not an Azure Key Vault host'):format(host)
  end
  if #vault < 3 or #vault > 24 or not vault:match('^%a') or vault:match('%-$') or vault:find('--', 1, true) then
    return ('the vault name `%s` must be 3–24 letters, digits and -, start with a letter, end with a letter or digit, without --'):format(vault)
  end
  local name, version = path:match('^/[sS][eE][cC][rR][eE][tT][sS]/([%w-]+)/?([%x]*)/?$')
  if not name or #name > 127 then
    return 'expected /secrets/<name> with a name of 1–127 letters, digits and -'
  end
  if version ~= '' and #version ~= 32 then
    return 'the version must be 32 hexadecimal digits (or leave it out for the latest version)'
  end
end

--- `:LspVaultlinkLink [NAME [IDENTIFIER]]`: links a name to a Key Vault secret in the nearest
--- `vaultlink.json`; asks for what is not given.
function M.link(bufnr, args)
  local client = client_of(bufnr)
  if not client then
    return
  end
  local uri = vim.uri_from_bufnr(bufnr)
  local function with_identifier(name, identifier)
    local problem = M.check_identifier(identifier)
    if problem then
      notify(('not linked: %s'):format(problem), vim.log.levels.ERROR)
      return
    end
    -- The server's edit lands in a buffer of vaultlink.json; like any edit, it is saved by you
    -- (`M.on_attach` says so when it is not the buffer on screen).
    exec(client, bufnr, LINK, { name = name, identifier = identifier, uri = uri }, function()
      notify(('linked %s to %s'):format(name, identifier))
    end)
  end
  local function with_name(name)
    if not name or name == '' then
      return
    end
    if not name:match('^[%w_.-]+$') or #name > 256 then
      notify('a name is 1–256 letters, digits, _, - and .', vim.log.levels.ERROR)
      return
    end
    if args[2] then
      return with_identifier(name, args[2])
    end
    vim.ui.input({ prompt = ('Key Vault secret for {{vault:%s}}: '):format(name), default = 'https://' }, function(id)
      if id and id ~= '' then
        with_identifier(name, vim.trim(id))
      end
    end)
  end
  if args[1] then
    return with_name(args[1])
  end
  vim.ui.input({ prompt = 'Name in {{vault:NAME}}: ', default = reference_under_cursor() }, with_name)
end

--- `:LspVaultlinkSignIn [METHOD]`: signs in to Azure (METHOD: browser, device-code, azure-cli,
--- environment; without one the server tries the environment and the Azure CLI, then asks).
function M.sign_in(bufnr, method)
  local client = client_of(bufnr)
  if not client then
    return
  end
  exec(client, bufnr, SIGN_IN, (method and method ~= '') and { method = method } or vim.empty_dict(), function(result)
    local account = type(result) == 'table' and type(result.account) == 'string' and (' as ' .. result.account) or ''
    notify('signed in to Azure' .. account .. ' (for at most 24 hours)')
  end)
end

function M.sign_out(bufnr)
  local client = client_of(bufnr)
  if client then
    exec(client, bufnr, SIGN_OUT, vim.empty_dict(), function()
      notify('signed out of Azure')
    end)
  end
end

--- Whether the workspace at `root` is trusted: it is `settings.vaultlink.trustedFolders` or
--- inside one of them. Until it is, the server signs nobody in, runs no `az`, asks no Key
--- Vault and sends nothing (`:LspVaultlinkTrust` trusts it for this session).
---@param root string?
---@param settings table?
---@return boolean
function M.is_trusted(root, settings)
  local folders = vim.tbl_get(settings or {}, 'vaultlink', 'trustedFolders') or {}
  if not root or type(folders) ~= 'table' then
    return false
  end
  local real = vim.fs.normalize(vim.uv.fs_realpath(root) or root)
  for _, folder in ipairs(folders) do
    local f = vim.fs.normalize(vim.uv.fs_realpath(vim.fs.normalize(folder)) or vim.fs.normalize(folder))
    if real == f or vim.startswith(real, f:gsub('/$', '') .. '/') then
      return true
    end
  end
  return false
end

--- Tells the server that the person trusts the workspace of `bufnr`, for this session.
---@param bufnr integer
function M.trust(bufnr)
  local client = client_of(bufnr)
  if client then
    client:notify('vaultlink/didChangeWorkspaceTrust', { trusted = true })
    notify('this workspace is trusted for this session: vaultlink may sign in and send requests')
  end
end

local lens_timers = {}

--- Asks for the code lenses of every buffer of `client` shown in a window, soon: once the
--- change is sent (Neovim sends changes 150 ms after the last; a lens request sends only its
--- own buffer's), and once for a burst of changes.
---@param client vim.lsp.Client
function M.refresh_lenses(client)
  if not client.server_capabilities.codeLensProvider then
    return
  end
  local timer = lens_timers[client.id]
  if not timer then
    timer = assert(vim.uv.new_timer())
    lens_timers[client.id] = timer
  end
  timer:stop()
  timer:start(
    300,
    0,
    vim.schedule_wrap(function()
      for _, win in ipairs(vim.api.nvim_list_wins()) do
        local buf = vim.api.nvim_win_get_buf(win)
        if vim.lsp.buf_is_attached(buf, client.id) then
          vim.lsp.codelens.refresh({ bufnr = buf })
        end
      end
    end)
  )
end

--- vaultlink.json changed by the server (a quick fix, a link command) in a buffer that is not
--- on screen: say that it is not saved yet, once until it is.
---@param bufnr integer
local function tell_unsaved(bufnr)
  if
    vim.b[bufnr].vaultlink_told_unsaved
    or not vim.bo[bufnr].modified
    or vim.api.nvim_get_current_buf() == bufnr
    or vim.fs.basename(vim.api.nvim_buf_get_name(bufnr)) ~= 'vaultlink.json'
  then
    return
  end
  vim.b[bufnr].vaultlink_told_unsaved = true
  notify('vaultlink.json is changed, not saved yet (:wall saves it)')
end

--- Creates the buffer-local `:LspVaultlink*` commands; lsp/vaultlink.lua calls it on attach.
---@param client vim.lsp.Client
---@param bufnr integer
function M.on_attach(client, bufnr)
  vim.lsp.commands[SEND] = M.send_command
  local group = vim.api.nvim_create_augroup('vaultlink.buffer.' .. bufnr, {})
  -- The server's code lenses ("▶ Send" above each request, the secrets a request uses) follow
  -- every change the server is told of, in this buffer or another (vaultlink.json, an
  -- environment): typing, undo, a quick fix's edit.
  if client.server_capabilities.codeLensProvider then
    vim.lsp.codelens.refresh({ bufnr = bufnr })
    vim.api.nvim_create_autocmd({ 'BufEnter', 'BufWritePost' }, {
      group = group,
      buffer = bufnr,
      callback = function()
        M.refresh_lenses(client)
      end,
    })
  end
  -- A buffer attached (one a quick fix just loaded and changed) or changed (typing, undo, an
  -- edit from the server): the lenses of every shown buffer may change with it.
  M.refresh_lenses(client)
  vim.defer_fn(function()
    tell_unsaved(bufnr)
  end, 300)
  vim.api.nvim_buf_attach(bufnr, false, {
    on_lines = function()
      if client:is_stopped() or not vim.lsp.buf_is_attached(bufnr, client.id) then
        return true
      end
      M.refresh_lenses(client)
      vim.defer_fn(function()
        tell_unsaved(bufnr)
      end, 300)
    end,
  })
  vim.api.nvim_create_autocmd('BufWritePost', {
    group = group,
    buffer = bufnr,
    callback = function()
      vim.b[bufnr].vaultlink_told_unsaved = nil
    end,
  })
  local command = vim.api.nvim_buf_create_user_command
  command(bufnr, 'LspVaultlinkSend', function()
    M.send(bufnr)
  end, { desc = 'vaultlink: send the request under the cursor' })
  command(bufnr, 'LspVaultlinkLink', function(o)
    M.link(bufnr, o.fargs)
  end, { nargs = '*', desc = 'vaultlink: link a {{vault:NAME}} to a Key Vault secret' })
  command(bufnr, 'LspVaultlinkSignIn', function(o)
    M.sign_in(bufnr, o.args)
  end, {
    nargs = '?',
    complete = function()
      return METHODS
    end,
    desc = 'vaultlink: sign in to Azure',
  })
  command(bufnr, 'LspVaultlinkSignOut', function()
    M.sign_out(bufnr)
  end, { desc = 'vaultlink: sign out of Azure' })
  command(bufnr, 'LspVaultlinkTrust', function()
    M.trust(bufnr)
  end, { desc = 'vaultlink: trust this workspace for this session (sign-in, Key Vault, send)' })
end

local ns = vim.api.nvim_create_namespace('vaultlink.references')

--- Draws every `{{vault:NAME}}` of the visible lines of buffers vaultlink reads with
--- `VaultlinkReference` (and the name with `VaultlinkReferenceName`), as they are redrawn.
function M.highlight_references()
  local wanted = {}
  vim.api.nvim_set_decoration_provider(ns, {
    on_win = function(_, _, bufnr)
      if wanted[bufnr] == nil then
        wanted[bufnr] = vim.bo[bufnr].buftype == '' and M.wants(bufnr)
      end
      return wanted[bufnr]
    end,
    on_line = function(_, _, bufnr, row)
      local line = vim.api.nvim_buf_get_lines(bufnr, row, row + 1, false)[1] or ''
      local init = 1
      while true do
        local s, e = line:find('{{%s*vault%s*:[^}\n]*}}', init)
        if not s then
          return
        end
        vim.api.nvim_buf_set_extmark(bufnr, ns, row, s - 1, {
          end_col = e,
          hl_group = 'VaultlinkReference',
          ephemeral = true,
          priority = 150,
        })
        local seg = line:sub(s, e)
        local a, b = seg:find('[%w_.-]+', seg:find(':', 1, true) + 1)
        if a and b <= #seg - 2 then
          vim.api.nvim_buf_set_extmark(bufnr, ns, row, s + a - 2, {
            end_col = s + b - 1,
            hl_group = 'VaultlinkReferenceName',
            ephemeral = true,
            priority = 151,
          })
        end
        init = e + 1
      end
    end,
  })
  vim.api.nvim_create_autocmd({ 'FileType', 'BufFilePost' }, {
    group = vim.api.nvim_create_augroup('vaultlink.references', {}),
    callback = function(ev)
      wanted[ev.buf] = nil
    end,
  })
end

return M
