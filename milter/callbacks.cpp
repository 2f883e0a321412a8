// libmilter callbacks. The only file, with daemon.cpp, that includes mfapi.h.
#include "milter/callbacks.hpp"

#include <libmilter/mfapi.h>
#include <libmilter/mfdef.h>
#include <spdlog/spdlog.h>

#include <memory>

#include "milter/callback_gate.hpp"
#include "milter/session.hpp"

namespace pushback::milter {

namespace {

// libmilter's callbacks carry no user pointer: these are the one link from them
// to the daemon, set once before smfi_main() starts any thread.
RuntimeHolder* runtime_holder = nullptr;
const Services* daemon_services = nullptr;
CallbackGate* callback_gate = nullptr;

constexpr unsigned long required_actions = SMFIF_ADDHDRS | SMFIF_CHGHDRS;

// Every reply the MTA waits for is a round trip inside its smtpd or cleanup
// process, and those are most of what a milter costs it: ask for no event
// Pushback does not use and answer none that it need not.
constexpr unsigned long steps_everywhere = SMFIP_NOHELO | SMFIP_NOUNKNOWN | SMFIP_NOEOH | SMFIP_NR_CONN |
                                           SMFIP_NR_MAIL | SMFIP_NR_HDR;
// On a unix socket: no DATA event, and body chunks without a reply (the body
// over milter.max_body_bytes then still comes, and is dropped here).
constexpr unsigned long steps_on_unix_socket = steps_everywhere | SMFIP_NODATA | SMFIP_NR_BODY;
// Over TCP, DATA is asked for and answered although Pushback has nothing to do
// there: Postfix's smtpd sends the DATA macros in a packet of their own before
// the cleanup server sends the headers on the same connection. Without a reply
// to carry its ACK, that packet holds the headers in Postfix's Nagle buffer
// until the milter's delayed ACK, about 40 ms per message. Body chunks are
// answered for the same reason, which lets SKIP end the body at the cap.
constexpr unsigned long steps_over_tcp = steps_everywhere | SMFIP_SKIP;

class LibmilterMta final : public Mta {
 public:
  explicit LibmilterMta(SMFICTX* ctx) : ctx_(ctx) {}

  std::optional<std::string> macro(std::string_view name) override {
    std::string key(name);
    const char* value = smfi_getsymval(ctx_, key.data());
    if (value == nullptr) return std::nullopt;
    return std::string(value);
  }
  bool add_header(const std::string& name, const std::string& value) override {
    return smfi_addheader(ctx_, const_cast<char*>(name.c_str()), const_cast<char*>(value.c_str())) == MI_SUCCESS;
  }
  bool delete_header(const std::string& name, int index) override {
    return smfi_chgheader(ctx_, const_cast<char*>(name.c_str()), index, nullptr) == MI_SUCCESS;
  }
  bool change_header(const std::string& name, int index, const std::string& value) override {
    return smfi_chgheader(ctx_, const_cast<char*>(name.c_str()), index, const_cast<char*>(value.c_str())) == MI_SUCCESS;
  }
  bool quarantine(const std::string& reason) override {
    return smfi_quarantine(ctx_, const_cast<char*>(reason.c_str())) == MI_SUCCESS;
  }
  bool set_reply(const std::string& rcode, const std::string& xcode, const std::string& text) override {
    return smfi_setreply(ctx_, const_cast<char*>(rcode.c_str()), const_cast<char*>(xcode.c_str()),
                         const_cast<char*>(text.c_str())) == MI_SUCCESS;
  }

 private:
  SMFICTX* ctx_;
};

sfsistat to_sfsistat(Status status) {
  switch (status) {
    case Status::proceed: return SMFIS_CONTINUE;
    case Status::accept: return SMFIS_ACCEPT;
    case Status::reject: return SMFIS_REJECT;
    case Status::tempfail: return SMFIS_TEMPFAIL;
    case Status::discard: return SMFIS_DISCARD;
    case Status::skip: return SMFIS_SKIP;
    case Status::no_reply: return SMFIS_NOREPLY;
  }
  return SMFIS_CONTINUE;
}

// The connection's session, created on first use: close may be the only callback.
Session& session_of(SMFICTX* ctx) {
  if (auto* session = static_cast<Session*>(smfi_getpriv(ctx))) return *session;
  auto session = std::make_unique<Session>(runtime_holder->get(), *daemon_services);
  if (smfi_setpriv(ctx, session.get()) != MI_SUCCESS) throw std::runtime_error("smfi_setpriv failed");
  return *session.release();
}

// The exception firewall. `no_reply` says whether the MTA waits for an answer
// at this step; where it does not, the failure action waits for end of message.
template <typename Body>
sfsistat guarded(SMFICTX* ctx, const char* stage, bool (*no_reply)(const Session&), Body&& body) {
  CallbackGate::Pass pass(*callback_gate);
  if (!pass) {
    // Stopping: touch nothing; the MTA applies its milter_default_action.
    auto* existing = static_cast<const Session*>(smfi_getpriv(ctx));
    return (existing && no_reply && no_reply(*existing)) ? SMFIS_NOREPLY : SMFIS_TEMPFAIL;
  }
  LibmilterMta mta(ctx);
  Session* session = nullptr;
  std::string what;
  try {
    session = &session_of(ctx);
    return to_sfsistat(body(*session, mta));
  } catch (const std::exception& e) {
    what = e.what();
  } catch (...) {
    what = "unknown exception";
  }
  if (session == nullptr) {
    spdlog::error("internal error in {} before the session existed: {}", stage, what);
    return SMFIS_ACCEPT;
  }
  try {
    Status status = session->fail(&mta, stage, what);
    return (no_reply && no_reply(*session)) ? SMFIS_NOREPLY : to_sfsistat(status);
  } catch (...) {
    return SMFIS_ACCEPT;
  }
}

bool connect_no_reply(const Session& s) { return s.no_reply_steps().connect; }
bool mail_no_reply(const Session& s) { return s.no_reply_steps().mail; }
bool header_no_reply(const Session& s) { return s.no_reply_steps().header; }
bool body_no_reply(const Session& s) { return s.no_reply_steps().body; }

sfsistat on_negotiate(SMFICTX* ctx, unsigned long offered_actions, unsigned long offered_steps, unsigned long,
                      unsigned long, unsigned long* actions, unsigned long* steps, unsigned long* unused2,
                      unsigned long* unused3) {
  return guarded(ctx, "negotiate", nullptr, [&](Session& session, Mta&) {
    if ((offered_actions & required_actions) != required_actions) {
      spdlog::error("the MTA does not allow adding and changing headers; not filtering this connection");
      return Status::reject;
    }
    *actions = required_actions | (offered_actions & (SMFIF_SETSYMLIST | SMFIF_QUARANTINE));
    *steps = offered_steps & (daemon_services->unix_socket ? steps_on_unix_socket : steps_over_tcp);
    *unused2 = 0;
    *unused3 = 0;
    session.set_no_reply_steps({.connect = (*steps & SMFIP_NR_CONN) != 0,
                                .mail = (*steps & SMFIP_NR_MAIL) != 0,
                                .header = (*steps & SMFIP_NR_HDR) != 0,
                                .body = (*steps & SMFIP_NR_BODY) != 0,
                                .skip_supported = (*steps & SMFIP_SKIP) != 0});
    if (offered_actions & SMFIF_SETSYMLIST) {
      smfi_setsymlist(ctx, SMFIM_CONNECT, const_cast<char*>("{daemon_name} {client_addr}"));
      smfi_setsymlist(ctx, SMFIM_ENVFROM, const_cast<char*>("{auth_authen}"));
      smfi_setsymlist(ctx, SMFIM_ENVRCPT, const_cast<char*>("i"));
      smfi_setsymlist(ctx, SMFIM_EOM, const_cast<char*>("i {client_addr}"));
    }
    return Status::proceed;
  });
}

sfsistat on_connect(SMFICTX* ctx, char*, _SOCK_ADDR*) {
  return guarded(ctx, "connect", connect_no_reply, [&](Session& session, Mta& mta) {
    return session.on_connect(mta.macro("{client_addr}").value_or(""));
  });
}

sfsistat on_envfrom(SMFICTX* ctx, char** argv) {
  return guarded(ctx, "MAIL FROM", mail_no_reply, [&](Session& session, Mta& mta) {
    return session.on_mail_from(mta, argv && argv[0] ? argv[0] : "");
  });
}

sfsistat on_envrcpt(SMFICTX* ctx, char** argv) {
  return guarded(ctx, "RCPT TO", nullptr, [&](Session& session, Mta& mta) {
    return session.on_rcpt_to(mta, argv && argv[0] ? argv[0] : "");
  });
}

sfsistat on_data(SMFICTX*) { return SMFIS_CONTINUE; }

sfsistat on_header(SMFICTX* ctx, char* name, char* value) {
  return guarded(ctx, "header", header_no_reply, [&](Session& session, Mta&) {
    return session.on_header(name ? name : "", value ? value : "");
  });
}

sfsistat on_body(SMFICTX* ctx, unsigned char* chunk, size_t length) {
  return guarded(ctx, "body", body_no_reply, [&](Session& session, Mta&) {
    return session.on_body_chunk(std::string_view(reinterpret_cast<const char*>(chunk), chunk ? length : 0));
  });
}

sfsistat on_eom(SMFICTX* ctx) {
  return guarded(ctx, "end of message", nullptr,
                 [&](Session& session, Mta& mta) { return session.on_end_of_message(mta); });
}

sfsistat on_abort(SMFICTX* ctx) {
  return guarded(ctx, "abort", nullptr, [&](Session& session, Mta&) {
    session.on_abort();
    return Status::proceed;
  });
}

sfsistat on_close(SMFICTX* ctx) {
  CallbackGate::Pass pass(*callback_gate);
  if (!pass) return SMFIS_CONTINUE;  // stopping: the session's memory goes with the process
  std::unique_ptr<Session> session(static_cast<Session*>(smfi_getpriv(ctx)));
  smfi_setpriv(ctx, nullptr);
  return SMFIS_CONTINUE;
}

}  // namespace

bool register_callbacks(RuntimeHolder& runtimes, const Services& services, CallbackGate& gate) {
  runtime_holder = &runtimes;
  daemon_services = &services;
  callback_gate = &gate;
  static smfiDesc description = {
      .xxfi_name = const_cast<char*>("pushback"),
      .xxfi_version = SMFI_VERSION,
      .xxfi_flags = required_actions,
      .xxfi_connect = on_connect,
      .xxfi_helo = nullptr,
      .xxfi_envfrom = on_envfrom,
      .xxfi_envrcpt = on_envrcpt,
      .xxfi_header = on_header,
      .xxfi_eoh = nullptr,
      .xxfi_body = on_body,
      .xxfi_eom = on_eom,
      .xxfi_abort = on_abort,
      .xxfi_close = on_close,
      .xxfi_unknown = nullptr,
      .xxfi_data = on_data,
      .xxfi_negotiate = on_negotiate,
  };
  if (smfi_register(description) != MI_SUCCESS) {
    spdlog::critical("libmilter refused the filter registration");
    return false;
  }
  return true;
}

}  // namespace pushback::milter
