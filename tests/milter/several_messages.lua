-- Several messages on one connection are judged independently.
-- expect-log: QID200A: from=<sender@vendor.example> rcpts=1 score=1.5
-- expect-log: QID200B: from=<sender@vendor.example> rcpts=1 score=0.0
-- expect-log: QID200C: from=<sender@vendor.example> rcpts=1 score=1.5
dofile(srcdir .. "/tests/milter/common.lua")
local conn = connect_like_postfix()
local cases = {
  {"QID200A", "Re: first", "1.5"},
  {"QID200B", "A plain subject", "0.0"},
  {"QID200C", "RE: third", "1.5"},
}
for _, case in ipairs(cases) do
  send_message(conn, case[1], case[2], "Body of " .. case[1] .. "\r\n")
  expect(mt.eom(conn) == nil, "eom " .. case[1])
  expect(mt.eom_check(conn, MT_HDRADD, "X-Pushback-Score", case[3]), case[1] .. " score " .. case[3])
end
mt.disconnect(conn)
