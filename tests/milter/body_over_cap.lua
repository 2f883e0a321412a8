-- Body beyond milter.max_body_bytes is skipped (SMFIR_SKIP) and the message is
-- still answered at end of message, flagged as truncated.
-- expect-log: score=0.0 verdict=pass symbols=BODY_TRUNCATED(0.0)[analysed within limits: body_bytes] limits=body_bytes
-- expect-log: limits=body_bytes,milter.max_body_bytes time=
dofile(srcdir .. "/tests/milter/common.lua")
local conn = connect_like_postfix()
expect(mt.mailfrom(conn, "<sender@vendor.example>") == nil, "mailfrom")
mt.macro(conn, SMFIC_RCPT, "i", "QID400A")
expect(mt.rcptto(conn, "<user@corp.example>") == nil, "rcptto")
expect(mt.header(conn, "Subject", "Large attachment") == nil, "header")
-- miltertest breaks on a single chunk over 64 KB: send 60 KB chunks.
local chunk = string.rep("0123456789abcdef\r\n", 3400)
expect(mt.bodystring(conn, chunk) == nil, "first chunk")
expect_reply(conn, SMFIR_SKIP, "first chunk over the cap")
end_truncated_message(conn, "QID400A")
mt.disconnect(conn)
