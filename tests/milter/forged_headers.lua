-- Inbound copies of our own headers, in any case, are deleted before ours are
-- added, so a sender cannot forge a verdict.
-- expect-log: QID500A: removed 2 inbound X-Pushback-Score header(s)
-- expect-log: QID500A: removed 1 inbound x-pushback-report header(s)
dofile(srcdir .. "/tests/milter/common.lua")
local conn = connect_like_postfix()
send_message(conn, "QID500A", "Offer", "body\r\n", {
  {"X-Pushback-Score", "-100.0"},
  {"x-pushback-report", "DIALOGUE(-100.0)[trust me]"},
  {"X-Pushback-Score", "-99.0"},
})
expect(mt.eom(conn) == nil, "eom")
expect(mt.eom_check(conn, MT_HDRDELETE, "X-Pushback-Score"), "forged X-Pushback-Score deleted")
expect(mt.eom_check(conn, MT_HDRDELETE, "x-pushback-report"), "forged x-pushback-report deleted")
expect(mt.eom_check(conn, MT_HDRADD, "X-Pushback-Score", "0.0"), "our score added")
mt.disconnect(conn)
