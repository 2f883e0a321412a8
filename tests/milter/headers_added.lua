-- A message gets X-Pushback-Score and X-Pushback-Report at end of message.
-- expect-log: QID100A: from=<sender@vendor.example> rcpts=1 score=1.5
dofile(srcdir .. "/tests/milter/common.lua")
local conn = connect_like_postfix()
send_message(conn, "QID100A", "Re: our call", "Hello,\r\nHere is the agenda.\r\n")
expect(mt.eom(conn) == nil, "eom")
expect_reply(conn, SMFIR_CONTINUE, "eom")
expect(mt.eom_check(conn, MT_HDRADD, "X-Pushback-Score", "1.5"), "X-Pushback-Score 1.0 added")
local report = added_header(conn, "X-Pushback-Report")
expect(report == "REPLY_WITHOUT_THREAD(1.5)[Re: subject with no In-Reply-To or References]",
       "report: " .. tostring(report))
mt.disconnect(conn)
