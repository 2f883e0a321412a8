-- An aborted transaction leaves nothing behind: the next message on the same
-- connection does not inherit its headers, body or forged-header count.
-- expect-log: QID300B: from=<sender@vendor.example> rcpts=1 direction=inbound
-- expect-no-log: QID300A: from=
dofile(srcdir .. "/tests/milter/common.lua")
local conn = connect_like_postfix()
send_message(conn, "QID300A", "Re: aborted", "partial body\r\n", {{"X-Pushback-Score", "-50"}})
expect(mt.abort(conn) == nil, "abort")
send_message(conn, "QID300B", "Plain", "second body\r\n")
expect(mt.eom(conn) == nil, "eom")
expect(mt.eom_check(conn, MT_HDRADD, "X-Pushback-Score", "0.0"), "second message scored alone")
expect(not mt.eom_check(conn, MT_HDRDELETE), "no header deleted in the second message")
mt.disconnect(conn)
