-- Drives Neovim's built-in LSP client against `pole lsp` in a headless
-- Neovim started with the README's setup (tests/neovim.rs). The buffer is
-- the program to check; the environment says where to write the results
-- (POLE_NVIM_OUT) and what to ask (POLE_NVIM_*). Every step's answer goes
-- into one JSON object; an error in a step is recorded and ends the run.

local out = {}
local buf = vim.api.nvim_get_current_buf()

local function finish()
  local f = io.open(os.getenv("POLE_NVIM_OUT"), "w")
  f:write(vim.fn.json_encode(out))
  f:close()
  vim.cmd("qall!")
end

local function client()
  for _, c in pairs(vim.lsp.buf_get_clients(buf)) do
    if c.name == "pole" and c.initialized then
      return c
    end
  end
  return nil
end

local function messages()
  local m = {}
  for _, d in ipairs(vim.diagnostic.get(buf)) do
    table.insert(m, { line = d.lnum, col = d.col, message = d.message })
  end
  return m
end

-- A request through the client; its result.
local function request(method, line, character)
  local params = {
    textDocument = { uri = vim.uri_from_bufnr(buf) },
    position = { line = line, character = character },
  }
  local answers = vim.lsp.buf_request_sync(buf, method, params, 10000)
  for _, a in pairs(answers or {}) do
    if a.result then
      return a.result
    end
  end
  return vim.NIL
end

local function env_position(name)
  local l, c = os.getenv(name):match("(%d+):(%d+)")
  return tonumber(l), tonumber(c)
end

local function steps()
  out.filetype = vim.bo[buf].filetype
  out.syntax = vim.bo[buf].syntax
  out.commentstring = vim.bo[buf].commentstring
  out.attached = vim.wait(15000, function() return client() ~= nil end, 20)
  if not out.attached then
    return
  end

  -- Diagnostics of the file as opened (it has one error).
  vim.wait(15000, function() return #vim.diagnostic.get(buf) > 0 end, 20)
  out.diagnostics = messages()

  -- The error fixed by an edit: the diagnostics go away.
  local fixed = vim.split(os.getenv("POLE_NVIM_FIXED"), "\n", { plain = true })
  vim.api.nvim_buf_set_lines(buf, 0, -1, false, fixed)
  out.cleared = vim.wait(15000, function() return #vim.diagnostic.get(buf) == 0 end, 20)

  local l, c = env_position("POLE_NVIM_HOVER")
  local h = request("textDocument/hover", l, c)
  out.hover = h ~= vim.NIL and h.contents.value or vim.NIL

  l, c = env_position("POLE_NVIM_DEFINITION")
  local d = request("textDocument/definition", l, c)
  if d ~= vim.NIL and d[1] then
    d = d[1]
  end
  out.definition = d ~= vim.NIL and { line = d.range.start.line, col = d.range.start.character }
    or vim.NIL

  -- Formatting through the README's command.
  local messy = vim.split(os.getenv("POLE_NVIM_MESSY"), "\n", { plain = true })
  vim.api.nvim_buf_set_lines(buf, 0, -1, false, messy)
  vim.cmd("PoleFormat")
  out.formatted = table.concat(vim.api.nvim_buf_get_lines(buf, 0, -1, false), "\n")
end

local ok, err = pcall(steps)
if not ok then
  out.error = tostring(err)
end
finish()
