-- Several messages on one connection are judged independently.
-- expect-log: QID200A: from=<a@vendor.example> rcpts=1 direction=inbound
-- expect-log: QID200B: from=<b@vendor.example> rcpts=1 direction=inbound
-- expect-log: QID200C: from=<c@vendor.example> rcpts=1 direction=inbound
dofile(srcdir .. "/tests/milter/common.lua")
local conn = connect_like_postfix()
-- Three senders and three texts: no campaign links them (the same text from
-- three addresses to one recipient would be one campaign).
local cases = {
  {"QID200A", "Re: first", "2.5", "a@vendor.example", "The minutes of the board meeting are attached."},
  {"QID200B", "A plain subject", "0.0", "b@vendor.example", "Our office is closed on Friday for the holiday."},
  {"QID200C", "RE: third", "2.5", "c@vendor.example", "Please find the signed contract and invoice here."},
}
for _, case in ipairs(cases) do
  send_message(conn, case[1], case[2], case[5] .. "\r\n", {}, case[4])
  expect(mt.eom(conn) == nil, "eom " .. case[1])
  expect(mt.eom_check(conn, MT_HDRADD, "X-Pushback-Score", case[3]), case[1] .. " score " .. case[3])
end
mt.disconnect(conn)
