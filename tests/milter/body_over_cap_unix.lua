-- On a unix socket Pushback asks for body chunks without a reply: the MTA
-- sends the whole body, Pushback keeps what milter.max_body_bytes allows, and
-- end of message flags the truncation. miltertest waits for no reply where
-- the filter negotiated none, so a reply to a body chunk would be read here.
-- socket: unix
-- expect-log: score=0.0 verdict=pass symbols=BODY_TRUNCATED(0.0)[analysed within limits: body_bytes] limits=body_bytes
-- expect-log: limits=body_bytes,milter.max_body_bytes time=
dofile(srcdir .. "/tests/milter/common.lua")
local conn = connect_like_postfix()
expect(mt.mailfrom(conn, "<sender@vendor.example>") == nil, "mailfrom")
mt.macro(conn, SMFIC_RCPT, "i", "QID400B")
expect(mt.rcptto(conn, "<user@corp.example>") == nil, "rcptto")
expect_reply(conn, SMFIR_CONTINUE, "rcptto")
expect(mt.header(conn, "Subject", "Large attachment") == nil, "header")
-- miltertest breaks on a single chunk over 64 KB: send 60 KB chunks.
local chunk = string.rep("0123456789abcdef\r\n", 3400)
for i = 1, 3 do
  expect(mt.bodystring(conn, chunk) == nil, "chunk " .. i)
  -- Still the answer to RCPT: no SKIP or CONTINUE came for the chunk.
  expect_reply(conn, SMFIR_CONTINUE, "no reply to chunk " .. i)
end
end_truncated_message(conn, "QID400B")
mt.disconnect(conn)
