// The check of an LMDB store, in a child process. The child reads every
// record and every free-list entry and reports one line through a pipe; the
// parent only reads that line and the child's exit status.
#include "state/store_health.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <lmdb.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "state/lmdb_store.hpp"
#include "state/records.hpp"

namespace pushback::state {

namespace {

constexpr std::size_t smallest_page = 4096;

StoreHealth damaged(std::string detail) { return {StoreCondition::damaged, std::move(detail)}; }

std::string_view view_of(const MDB_val& val) { return {static_cast<const char*>(val.mv_data), val.mv_size}; }

// Closes the environment whatever the walk ends in.
struct Environment {
  MDB_env* env = nullptr;
  MDB_txn* txn = nullptr;
  ~Environment() {
    if (txn) mdb_txn_abort(txn);
    if (env) mdb_env_close(env);
  }
};

// Every value's bytes are summed so that each page, overflow pages too, is
// really read: a page past the end of the file faults here, in the child.
std::uint64_t touch(const MDB_val& val) {
  const auto* bytes = static_cast<const unsigned char*>(val.mv_data);
  std::uint64_t sum = 0;
  for (std::size_t i = 0; i < val.mv_size; i += 64) sum += bytes[i];
  if (val.mv_size > 0) sum += bytes[val.mv_size - 1];
  return sum;
}

StoreHealth walk(const std::string& dir, std::uint32_t bucket_seconds) {
  const std::string data = dir + "/data.mdb";
  struct stat file {};
  if (::stat(data.c_str(), &file) != 0) {
    if (errno == ENOENT) return {StoreCondition::absent, "no data.mdb yet"};
    return damaged(fmt::format("cannot read {}: {}", data, std::strerror(errno)));
  }
  StoreHealth health;
  health.file_bytes = static_cast<std::uint64_t>(file.st_size);
  if (health.file_bytes < 2 * smallest_page) {
    return damaged(fmt::format("data.mdb is {} bytes, shorter than LMDB's two meta pages", health.file_bytes));
  }
  Environment environment;
  int rc = mdb_env_create(&environment.env);
  if (rc == 0) rc = mdb_env_set_maxreaders(environment.env, 512);
  if (rc == 0) rc = mdb_env_open(environment.env, dir.c_str(), MDB_RDONLY | MDB_NOTLS, 0600);
  if (rc != 0) return damaged(fmt::format("LMDB cannot open it: {}", mdb_strerror(rc)));
  MDB_envinfo info{};
  MDB_stat env_stat{};
  mdb_env_info(environment.env, &info);
  mdb_env_stat(environment.env, &env_stat);
  const std::uint64_t page_size = env_stat.ms_psize;
  const std::uint64_t last_page = info.me_last_pgno;
  if ((last_page + 1) * page_size > health.file_bytes) {
    return damaged(fmt::format("its last page ({}) lies beyond the end of data.mdb ({} bytes): the file was cut short",
                               last_page, health.file_bytes));
  }
  if ((rc = mdb_txn_begin(environment.env, nullptr, MDB_RDONLY, &environment.txn)) != 0) {
    return damaged(fmt::format("LMDB cannot read it: {}", mdb_strerror(rc)));
  }
  MDB_dbi dbi = 0;
  if ((rc = mdb_dbi_open(environment.txn, nullptr, 0, &dbi)) != 0) {
    return damaged(fmt::format("LMDB cannot open its database: {}", mdb_strerror(rc)));
  }
  MDB_stat db_stat{};
  if ((rc = mdb_stat(environment.txn, dbi, &db_stat)) != 0) return damaged(fmt::format("LMDB stat: {}", mdb_strerror(rc)));
  health.pages = db_stat.ms_branch_pages + db_stat.ms_leaf_pages + db_stat.ms_overflow_pages;
  if (health.pages > last_page + 1) {
    return damaged(fmt::format("its database claims {} pages, the file holds {}", health.pages, last_page + 1));
  }

  // Every record, in key order. A walk that yields more records than LMDB
  // counts is a tree that loops; fewer, a tree that lost a branch.
  MDB_cursor* cursor = nullptr;
  if ((rc = mdb_cursor_open(environment.txn, dbi, &cursor)) != 0) return damaged(mdb_strerror(rc));
  MDB_val key{}, value{};
  volatile std::uint64_t sum = 0;
  std::string format, width;
  std::string previous;
  const std::string format_key = detail::make_key(detail::key_meta, "format");
  const std::string width_key = detail::make_key(detail::key_meta, "bucket_seconds");
  while ((rc = mdb_cursor_get(cursor, &key, &value, health.records == 0 ? MDB_FIRST : MDB_NEXT)) == 0) {
    if (++health.records > db_stat.ms_entries) break;
    auto name = view_of(key);
    if (health.records > 1 && name <= previous) {
      mdb_cursor_close(cursor);
      return damaged(fmt::format("record {} is out of key order", health.records));
    }
    previous.assign(name);
    sum = sum + touch(key) + touch(value);
    if (name == format_key) format.assign(view_of(value));
    if (name == width_key) width.assign(view_of(value));
  }
  mdb_cursor_close(cursor);
  if (rc != 0 && rc != MDB_NOTFOUND) {
    return damaged(fmt::format("reading record {} failed: {}", health.records + 1, mdb_strerror(rc)));
  }
  if (health.records != db_stat.ms_entries) {
    return damaged(fmt::format("{}{} records could be read, LMDB counts {}",
                               health.records > db_stat.ms_entries ? "more than " : "", std::min<std::uint64_t>(health.records, db_stat.ms_entries),
                               db_stat.ms_entries));
  }

  // The free list: pages LMDB will write next must lie inside the file.
  if ((rc = mdb_cursor_open(environment.txn, 0, &cursor)) != 0) return damaged(mdb_strerror(rc));
  bool first = true;
  while ((rc = mdb_cursor_get(cursor, &key, &value, first ? MDB_FIRST : MDB_NEXT)) == 0) {
    first = false;
    const auto* ids = static_cast<const std::size_t*>(value.mv_data);
    if (value.mv_size < sizeof(std::size_t) || value.mv_size != (ids[0] + 1) * sizeof(std::size_t)) {
      mdb_cursor_close(cursor);
      return damaged("a free-list entry is malformed");
    }
    for (std::size_t i = 1; i <= ids[0]; ++i) {
      if (ids[i] < 2 || ids[i] > last_page) {
        mdb_cursor_close(cursor);
        return damaged(fmt::format("the free list names page {}, outside the file's {} pages", ids[i], last_page + 1));
      }
    }
  }
  mdb_cursor_close(cursor);
  if (rc != MDB_NOTFOUND) return damaged(fmt::format("reading the free list failed: {}", mdb_strerror(rc)));

  if (health.records > 0 && format != lmdb_record_format) {
    health.condition = StoreCondition::incompatible;
    health.detail = format.empty() ? "it holds no record format"
                                   : fmt::format("it has record format {}, this version reads only format {}", format,
                                                 lmdb_record_format);
    return health;
  }
  if (bucket_seconds != 0 && !width.empty() && width != std::to_string(bucket_seconds)) {
    health.condition = StoreCondition::incompatible;
    health.detail = fmt::format("it was written with {} s buckets, the settings say {} s", width, bucket_seconds);
    return health;
  }
  health.condition = StoreCondition::sound;
  health.detail = fmt::format("{} records in {} pages read back", health.records, health.pages);
  return health;
}

void write_all(int fd, const std::string& text) {
  std::size_t written = 0;
  while (written < text.size()) {
    ssize_t n = ::write(fd, text.data() + written, text.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    written += static_cast<std::size_t>(n);
  }
}

StoreHealth parse_answer(const std::string& line) {
  // condition \t records \t pages \t file bytes \t detail
  StoreHealth health;
  unsigned condition = 0;
  unsigned long long records = 0, pages = 0, bytes = 0;
  int used = 0;
  if (std::sscanf(line.c_str(), "%u\t%llu\t%llu\t%llu\t%n", &condition, &records, &pages, &bytes, &used) < 4 ||
      condition > static_cast<unsigned>(StoreCondition::incompatible)) {
    return damaged("the check ended without an answer");
  }
  health.condition = static_cast<StoreCondition>(condition);
  health.records = records;
  health.pages = pages;
  health.file_bytes = bytes;
  health.detail = line.substr(static_cast<std::size_t>(used));
  while (!health.detail.empty() && health.detail.back() == '\n') health.detail.pop_back();
  return health;
}

}  // namespace

std::string_view to_string(StoreCondition condition) {
  switch (condition) {
    case StoreCondition::absent: return "absent";
    case StoreCondition::sound: return "sound";
    case StoreCondition::damaged: return "damaged";
    case StoreCondition::incompatible: return "incompatible";
  }
  return "unknown";
}

StoreHealth check_lmdb_store(const std::string& state_dir, std::uint32_t bucket_seconds,
                             std::chrono::milliseconds time_limit) {
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) return damaged(fmt::format("cannot check: pipe: {}", std::strerror(errno)));
  pid_t child = ::fork();
  if (child < 0) {
    ::close(pipe_fds[0]);
    ::close(pipe_fds[1]);
    return damaged(fmt::format("cannot check: fork: {}", std::strerror(errno)));
  }
  if (child == 0) {
    ::close(pipe_fds[0]);
    StoreHealth health = walk(state_dir, bucket_seconds);
    write_all(pipe_fds[1], fmt::format("{}\t{}\t{}\t{}\t{}\n", static_cast<unsigned>(health.condition), health.records,
                                       health.pages, health.file_bytes, health.detail));
    ::_exit(0);
  }
  ::close(pipe_fds[1]);
  std::string answer;
  bool timed_out = false;
  const auto deadline = std::chrono::steady_clock::now() + time_limit;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      timed_out = true;
      break;
    }
    pollfd waiting{pipe_fds[0], POLLIN, 0};
    int ready = ::poll(&waiting, 1, static_cast<int>(left.count()));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) continue;
    char buffer[512];
    ssize_t n = ::read(pipe_fds[0], buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    answer.append(buffer, static_cast<std::size_t>(n));
  }
  ::close(pipe_fds[0]);
  if (timed_out) ::kill(child, SIGKILL);
  int status = 0;
  while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
  if (timed_out) {
    return damaged(fmt::format("the check did not finish within {} s", 
                               std::chrono::duration_cast<std::chrono::seconds>(time_limit).count()));
  }
  if (WIFSIGNALED(status)) {
    return damaged(fmt::format("reading it crashed the check ({})", ::strsignal(WTERMSIG(status))));
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) return damaged("the check ended without an answer");
  return parse_answer(answer);
}

}  // namespace pushback::state
