-- Entry point for every scenario: miltertest exits 1 on a Lua error without
-- saying why, so the scenario runs under pcall and its error is printed.
local ok, err = pcall(dofile, scenario)
if not ok then
  mt.echo("FAIL: " .. tostring(err))
  error(err)
end
