-- A message gets X-Pushback-Score and X-Pushback-Report at end of message.
-- expect-log: QID100A: from=<sender@vendor.example> rcpts=1 direction=inbound
dofile(srcdir .. "/tests/milter/common.lua")
local conn = connect_like_postfix()
send_message(conn, "QID100A", "Re: our call", "Hello,\r\nHere is the agenda.\r\n")
expect(mt.eom(conn) == nil, "eom")
expect_reply(conn, SMFIR_CONTINUE, "eom")
expect(mt.eom_check(conn, MT_HDRADD, "X-Pushback-Score", "2.5"), "X-Pushback-Score 2.5 added")
expect(mt.eom_check(conn, MT_HDRADD, "X-Pushback-Verdict", "pass"), "X-Pushback-Verdict pass added")
local report = added_header(conn, "X-Pushback-Report")
expect(report == "FAKE_REPLY(2.5)[Re: subject, and none of our users wrote to the sender]",
       "report: " .. tostring(report))
local history = added_header(conn, "X-Pushback-History")
expect(history and string.find(history, "windows 1d/7d/40d; streak 1; pair 1/1/1", 1, true), "history: " .. tostring(history))
mt.disconnect(conn)
