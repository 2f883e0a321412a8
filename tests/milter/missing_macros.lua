-- An MTA that sends no macros at all (no queue id, no client address) is
-- served normally.
-- expect-log: NOQUEUE: from=<sender@vendor.example> rcpts=1 direction=inbound
dofile(srcdir .. "/tests/milter/common.lua")
local conn = connect()
expect(mt.conninfo(conn, "localhost", "unspec") == nil, "conninfo")
expect(mt.mailfrom(conn, "<sender@vendor.example>") == nil, "mailfrom")
expect(mt.rcptto(conn, "<user@corp.example>") == nil, "rcptto")
expect(mt.header(conn, "Subject", "Re: no macros") == nil, "header")
expect(mt.bodystring(conn, "body\r\n") == nil, "body")
expect(mt.eom(conn) == nil, "eom")
expect_reply(conn, SMFIR_CONTINUE, "eom")
expect(mt.eom_check(conn, MT_HDRADD, "X-Pushback-Score", "2.5"), "score added without macros")
mt.disconnect(conn)
