-- `:checkhealth vaultlink`: Neovim's version, the configuration `vim.lsp.enable('vaultlink')`
-- uses, the `vaultlink` binary and its version, filetype detection, and the links file.
local M = {}

function M.check()
  local h = vim.health
  h.start('vaultlink')

  local v = vim.version()
  if vim.fn.has('nvim-0.11') == 1 then
    h.ok(('Neovim %d.%d.%d'):format(v.major, v.minor, v.patch))
  else
    h.error(
      ('Neovim %d.%d.%d: vim.lsp.config and vim.lsp.enable need 0.11 or newer'):format(v.major, v.minor, v.patch),
      { 'Use nvim-lspconfig on older versions (see the README).' }
    )
  end

  local config = vim.lsp.config and vim.lsp.config.vaultlink
  local cmd = type(config) == 'table' and config.cmd or nil
  if type(cmd) ~= 'table' or type(cmd[1]) ~= 'string' then
    h.error('no configuration for vaultlink', {
      "Add vaultlink's editors/neovim folder to 'runtimepath': it has lsp/vaultlink.lua.",
    })
  else
    h.ok(('configured: cmd = %s'):format(vim.inspect(cmd)))
    local exe = vim.fn.exepath(cmd[1])
    if exe == '' then
      h.error(('`%s` is not an executable on PATH'):format(cmd[1]), {
        'Install it: `cargo install --path server` in the vaultlink repository.',
        "Or point cmd at it: vim.lsp.config('vaultlink', { cmd = { '/path/to/vaultlink', 'lsp' } })",
      })
    else
      local ok, run = pcall(function()
        return vim.system({ exe, '--version' }, { text = true }):wait(5000)
      end)
      if ok and run.code == 0 then
        h.ok(('%s: %s'):format(exe, vim.trim(run.stdout or '')))
      else
        h.error(('%s --version failed: %s'):format(exe, ok and vim.trim((run.stderr or '') .. ' exit ' .. tostring(run.code)) or tostring(run)))
      end
    end
  end

  local enabled = vim.lsp.is_enabled and vim.lsp.is_enabled('vaultlink')
  if enabled == false then
    h.warn('vaultlink is not enabled', { "Add vim.lsp.enable('vaultlink') to your init.lua." })
  elseif enabled then
    h.ok('enabled')
  end

  for _, file in ipairs({ 'api.http', 'api.rest' }) do
    local ft = vim.filetype.match({ filename = file })
    if ft == 'http' then
      h.ok(('%s files have filetype http'):format(file:match('%.%a+$')))
    else
      h.warn(('%s files have filetype %s, not http'):format(file:match('%.%a+$'), tostring(ft)))
    end
  end

  local links = vim.fs.find('vaultlink.json', { upward = true, path = vim.fn.getcwd() })[1]
  if links then
    h.ok('links file: ' .. links)
  else
    h.info('no vaultlink.json from ' .. vim.fn.getcwd() .. ' upwards: every {{vault:NAME}} here is unlinked')
  end

  for _, client in ipairs(vim.lsp.get_clients({ name = 'vaultlink' })) do
    h.ok(('running: client %d, root %s, position encoding %s'):format(client.id, tostring(client.root_dir), client.offset_encoding))
  end
end

return M
