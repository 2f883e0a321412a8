// The Sendmail driver. Quarantined messages are the hf control files in the
// queue directory (named by QueueDirectory in sendmail.cf); they are read
// directly, as `mailq -qQ` would. A release is Sendmail's own
// `sendmail -qQ -qI<ID> -Q` followed by a delivery run for that id; a delete
// removes the control file (under Sendmail's lock) and then the data file.
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include <fmt/format.h>

#include "quarantine/command.hpp"
#include "quarantine/mta_queue.hpp"
#include "quarantine/queue_id.hpp"
#include "quarantine/sendmail_output.hpp"

namespace pushback::quarantine {

namespace {

namespace fs = std::filesystem;

std::optional<std::string> read_file(const fs::path& path, std::size_t limit, std::string& error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = fmt::format("cannot read {}: {}", path.string(), std::strerror(errno));
    return std::nullopt;
  }
  std::string text(limit, '\0');
  in.read(text.data(), static_cast<std::streamsize>(limit));
  text.resize(static_cast<std::size_t>(in.gcount()));
  return text;
}

std::string first_line(const std::string& text) { return text.substr(0, text.find('\n')); }

class SendmailQueue final : public MtaQueue {
 public:
  explicit SendmailQueue(QueueSettings settings) : settings_(std::move(settings)) {
    if (settings_.sendmail_config.empty()) settings_.sendmail_config = "/etc/mail/sendmail.cf";
  }

  std::string_view name() const override { return "sendmail"; }
  bool valid_id(std::string_view id) const override { return valid_sendmail_queue_id(id); }

  std::string missing_read_rights() const override {
    std::string error;
    auto dir = control_directory(error);
    if (!dir) return error;
    if (::access(dir->c_str(), R_OK | X_OK) != 0) {
      return fmt::format("reading Sendmail's queue ({}) needs root: {}", dir->string(), std::strerror(errno));
    }
    return {};
  }

  std::string missing_change_rights() const override {
    if (::geteuid() == 0) return {};
    return "releasing and deleting quarantined Sendmail mail needs root";
  }

  HoldListing list_held() override {
    HoldListing listing;
    std::string error;
    auto dir = control_directory(error);
    if (!dir) {
      listing.ok = false;
      listing.errors.push_back(error);
      return listing;
    }
    std::error_code ec;
    for (const auto& item : fs::directory_iterator(*dir, ec)) {
      std::string file = item.path().filename().string();
      if (file.rfind("hf", 0) != 0) continue;
      auto text = read_file(item.path(), max_control_file_bytes + 1, error);
      if (!text) {  // gone since it was listed (released or deleted meanwhile), or unreadable
        listing.errors.push_back(error);
        continue;
      }
      auto parsed = parse_control_file(file.substr(2), *text);
      if (!parsed.error.empty()) {
        listing.errors.push_back(fmt::format("{}: {}", file, parsed.error));
        continue;
      }
      if (parsed.entry.queue_name != "hold") continue;
      listing.held.push_back({std::move(parsed.entry), std::move(parsed.headers)});
    }
    if (ec) {
      listing.ok = false;
      listing.errors.push_back(fmt::format("cannot list {}: {}", dir->string(), ec.message()));
    }
    return listing;
  }

  std::optional<std::string> message_text(std::string_view id, std::string& error) override {
    auto control = control_directory_of(id, error);
    if (!control) return std::nullopt;
    auto text = read_file(*control / ("hf" + std::string(id)), max_control_file_bytes + 1, error);
    if (!text) return std::nullopt;
    auto parsed = parse_control_file(id, *text);
    if (!parsed.error.empty()) {
      error = parsed.error;
      return std::nullopt;
    }
    std::string out;
    for (const auto& field : parsed.headers.fields) out += field.name + ": " + field.value + "\n";
    auto body = read_file(data_directory(*control) / ("df" + std::string(id)), 64u << 20, error);
    if (!body) return std::nullopt;
    return out + "\n" + *body;
  }

  ActionResult release(std::string_view id) override {
    ActionResult out;
    auto control = control_directory_of(id, out.message);
    if (!control) return out;
    std::string qid(id);
    auto unquarantined = sendmail({"-qQ", "-qI" + qid, "-Q"});
    if (!unquarantined.ok() || !fs::exists(*control / ("qf" + qid))) {
      out.message = fmt::format("sendmail -qQ -qI{} -Q did not release it ({})", qid,
                                unquarantined.ok() ? "it is still quarantined" : describe_failure(unquarantined));
      return out;
    }
    out.ok = true;
    out.message = "released from quarantine";
    auto delivered = sendmail({"-qI" + qid});
    if (!delivered.ok()) out.message += "; delivery waits for the next queue run (" + describe_failure(delivered) + ")";
    return out;
  }

  ActionResult remove(std::string_view id) override {
    ActionResult out;
    auto control = control_directory_of(id, out.message);
    if (!control) return out;
    fs::path hf = *control / ("hf" + std::string(id));
    // Sendmail locks a control file while it works on it: take the lock, so
    // that a queue run holding it makes the delete fail instead of racing it.
    int fd = ::open(hf.c_str(), O_RDWR | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) {
      out.message = fmt::format("cannot open {}: {}", hf.string(), std::strerror(errno));
      return out;
    }
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
      out.message = fmt::format("{} is locked by Sendmail: try again", hf.string());
      ::close(fd);
      return out;
    }
    if (::unlink(hf.c_str()) != 0) {
      out.message = fmt::format("cannot remove {}: {}", hf.string(), std::strerror(errno));
      ::close(fd);
      return out;
    }
    ::close(fd);
    // The control file is gone, so the message is; its data file follows.
    fs::path df = data_directory(*control) / ("df" + std::string(id));
    std::error_code ec;
    fs::remove(df, ec);
    out.ok = true;
    out.message = ec ? fmt::format("removed (the data file {} stays: {})", df.string(), ec.message()) : "removed";
    return out;
  }

 private:
  // The control directory for an action on message `id`: nothing, with the
  // reason in `error`, when the id is not a queue id or the directory unknown.
  std::optional<fs::path> control_directory_of(std::string_view id, std::string& error) const {
    if (!valid_id(id)) {
      error = "invalid queue id";
      return std::nullopt;
    }
    return control_directory(error);
  }

  // Where the control files are: QueueDirectory, or its qf/ subdirectory.
  std::optional<fs::path> control_directory(std::string& error) const {
    auto cf = read_file(settings_.sendmail_config, 4u << 20, error);
    if (!cf) return std::nullopt;
    auto dir = queue_directory_of(*cf);
    if (!dir || dir->empty() || dir->find_first_of("*?[") != std::string::npos) {
      error = fmt::format("{}: no single QueueDirectory (queue groups and wildcards are not handled)",
                          settings_.sendmail_config);
      return std::nullopt;
    }
    fs::path path(*dir);
    std::error_code ec;
    if (fs::is_directory(path / "qf", ec)) return path / "qf";
    return path;
  }

  static fs::path data_directory(const fs::path& control) {
    if (control.filename() == "qf") return control.parent_path() / "df";
    return control;
  }

  CommandResult sendmail(std::vector<std::string> args) const {
    std::vector<std::string> argv{settings_.command_dir + "/sendmail", "-C", settings_.sendmail_config};
    argv.insert(argv.end(), args.begin(), args.end());
    return run_command(argv);
  }

  static std::string describe_failure(const CommandResult& result) {
    if (!result.started || result.timed_out) return result.error;
    std::string said = first_line(result.err.empty() ? result.out : result.err);
    return fmt::format("sendmail exited with status {}{}{}", result.exit_status, said.empty() ? "" : ": ", said);
  }

  QueueSettings settings_;
};

}  // namespace

std::unique_ptr<MtaQueue> open_sendmail_queue(const QueueSettings& settings) {
  return std::make_unique<SendmailQueue>(settings);
}

}  // namespace pushback::quarantine
