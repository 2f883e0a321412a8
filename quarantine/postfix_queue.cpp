// The Postfix driver. postsuper exits 0 whether or not it found the message,
// so success is read from the line it prints for that queue id.
#include <unistd.h>

#include <fmt/format.h>

#include "quarantine/command.hpp"
#include "quarantine/postfix_queue.hpp"
#include "quarantine/queue_id.hpp"

namespace pushback::quarantine {

namespace {

std::string first_line(const std::string& text) {
  auto end = text.find('\n');
  return text.substr(0, end == std::string::npos ? text.size() : end);
}

class PostfixQueue final : public MtaQueue {
 public:
  explicit PostfixQueue(QueueSettings settings) : settings_(std::move(settings)) {}

  std::string_view name() const override { return "postfix"; }
  bool valid_id(std::string_view id) const override { return valid_postfix_queue_id(id); }

  std::string missing_read_rights() const override {
    if (::geteuid() == 0) return {};
    auto dir = queue_directory();
    if (!dir.empty() && ::access((dir + "/hold").c_str(), R_OK | X_OK) == 0) return {};
    return fmt::format("reading Postfix's hold queue ({}/hold) needs root or the Postfix mail owner",
                       dir.empty() ? "?" : dir);
  }

  std::string missing_change_rights() const override {
    if (::geteuid() == 0) return {};
    return "postsuper releases and deletes queued mail only as root";
  }

  HoldListing list_held() override {
    HoldListing listing;
    auto listed = run({"postqueue", "-j"});
    if (!listed.ok()) {
      listing.ok = false;
      listing.errors.push_back(failure("postqueue -j", listed));
      return listing;
    }
    auto parsed = parse_postqueue_json(listed.out);
    for (auto& error : parsed.errors) listing.errors.push_back("postqueue -j: " + error);
    for (auto& entry : parsed.entries) {
      if (entry.queue_name != "hold") continue;
      auto headers = run({"postcat", "-h", "-q", entry.queue_id});
      if (!headers.ok()) {
        // Gone since it was listed (released or deleted meanwhile), or unreadable.
        listing.errors.push_back(fmt::format("{}: {}", entry.queue_id, failure("postcat", headers)));
        continue;
      }
      listing.held.push_back({std::move(entry), parse_header_block(headers.out)});
    }
    return listing;
  }

  std::optional<std::string> message_text(std::string_view id, std::string& error) override {
    auto got = run({"postcat", "-h", "-b", "-q", std::string(id)});
    if (!got.ok()) {
      error = failure("postcat", got);
      return std::nullopt;
    }
    return got.out;
  }

  ActionResult release(std::string_view id) override {
    auto result = change({"postsuper", "-H", std::string(id)}, id, "released from hold");
    if (result.ok) {
      // postsuper -H moves it to the deferred queue; deliver it now, not at the next queue run.
      auto flushed = run({"postqueue", "-i", std::string(id)});
      if (!flushed.ok())
        result.message += "; delivery waits for the next queue run (" + failure("postqueue -i", flushed) + ")";
    }
    return result;
  }

  ActionResult remove(std::string_view id) override {
    return change({"postsuper", "-d", std::string(id), "hold"}, id, "removed");
  }

 private:
  // A queue tool with "-c DIR" when a configuration directory is set.
  CommandResult run(std::vector<std::string> argv, const CommandLimits& limits = {}) const {
    argv[0] = settings_.command_dir + "/" + argv[0];
    if (!settings_.postfix_config_dir.empty()) {
      argv.insert(argv.begin() + 1, settings_.postfix_config_dir);
      argv.insert(argv.begin() + 1, "-c");
    }
    return run_command(argv, {}, limits);
  }

  std::string queue_directory() const {
    auto got = run({"postconf", "-h", "queue_directory"});
    if (!got.ok()) return {};
    return first_line(got.out);
  }

  static std::string failure(std::string_view what, const CommandResult& result) {
    if (!result.started || result.timed_out) return fmt::format("{}: {}", what, result.error);
    std::string said = first_line(result.err.empty() ? result.out : result.err);
    return fmt::format("{} exited with status {}{}{}", what, result.exit_status, said.empty() ? "" : ": ", said);
  }

  ActionResult change(std::vector<std::string> argv, std::string_view id, std::string_view done) {
    ActionResult out;
    if (!valid_id(id)) {
      out.message = "invalid queue id";
      return out;
    }
    auto result = run(std::move(argv));
    std::string expected = fmt::format("{}: {}", id, done);
    if (result.ok() && result.err.find(expected) != std::string::npos) {
      out.ok = true;
      out.message = std::string(done);
      return out;
    }
    out.message = result.ok() ? fmt::format("postsuper did not find it in the hold queue ({})", first_line(result.err))
                              : failure("postsuper", result);
    return out;
  }

  QueueSettings settings_;
};

}  // namespace

std::unique_ptr<MtaQueue> open_postfix_queue(const QueueSettings& settings) {
  return std::make_unique<PostfixQueue>(settings);
}

}  // namespace pushback::quarantine
