-- Shared steps for the miltertest scenarios. The runner defines `socket`.

function connect()
  local conn = mt.connect(socket, 40, 0.05)
  assert(conn, "cannot connect to pushback at " .. socket)
  return conn
end

function fail(what)
  error(what, 3)
end

function expect(ok, what)
  if not ok then fail(what) end
end

function expect_reply(conn, want, what)
  local got = mt.getreply(conn)
  if got ~= want then fail(what .. ": got reply " .. tostring(got) .. ", want " .. tostring(want)) end
end

-- A connection with the macros Postfix sends.
function connect_like_postfix(client_addr)
  local conn = connect()
  mt.macro(conn, SMFIC_CONNECT, "{daemon_name}", "mx.corp.example", "{client_addr}", client_addr or "192.0.2.10")
  expect(mt.conninfo(conn, "client.example", client_addr or "192.0.2.10") == nil, "conninfo")
  return conn
end

-- Envelope, headers and body of one message; eom is left to the caller.
-- Each scenario message may come from its own sender, so that the state
-- kept between messages (streaks, sequences) does not change its score.
function send_message(conn, queue_id, subject, body, extra_headers, sender)
  sender = sender or "sender@vendor.example"
  expect(mt.mailfrom(conn, "<" .. sender .. ">") == nil, "mailfrom")
  mt.macro(conn, SMFIC_RCPT, "i", queue_id)
  expect(mt.rcptto(conn, "<user@corp.example>") == nil, "rcptto")
  expect_reply(conn, SMFIR_CONTINUE, "rcptto")
  expect(mt.header(conn, "From", "Sender <" .. sender .. ">") == nil, "header From")
  expect(mt.header(conn, "Subject", subject) == nil, "header Subject")
  for _, h in ipairs(extra_headers or {}) do
    expect(mt.header(conn, h[1], h[2]) == nil, "header " .. h[1])
  end
  expect(mt.bodystring(conn, body) == nil, "body")
  mt.macro(conn, string.byte("E"), "i", queue_id, "{client_addr}", "192.0.2.10")
end

-- The value of an added header with its folding undone.
function added_header(conn, name)
  local value = mt.getheader(conn, name, 0)
  if value == nil then return nil end
  return (string.gsub(value, "\r?\n[ \t]", " "))
end

-- End of a message whose body went over milter.max_body_bytes: answered,
-- and the report names the truncation.
function end_truncated_message(conn, queue_id)
  mt.macro(conn, string.byte("E"), "i", queue_id)
  expect(mt.eom(conn) == nil, "eom")
  expect_reply(conn, SMFIR_CONTINUE, "eom")
  local report = added_header(conn, "X-Pushback-Report")
  expect(report and string.find(report, "BODY_TRUNCATED", 1, true), "report names the truncation: " .. tostring(report))
end
