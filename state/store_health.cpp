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

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <optional>
#include <unordered_set>
#include <vector>

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

// A meta page of LMDB at `page`: the meta flag (P_META) and LMDB's magic
// right after the 16-byte page header. (LMDB never reads a meta page's own
// number, nor rewrites it.)
bool is_meta_page(const unsigned char* page) {
  std::uint16_t flags = 0;
  std::uint32_t magic = 0;
  std::memcpy(&flags, page + 10, sizeof flags);
  std::memcpy(&magic, page + 16, sizeof magic);
  return (flags & 0x08) != 0 && magic == 0xBEEFC0DE;
}

// LMDB writes the meta page of transaction n into slot n % 2, and a reader
// picks its meta page by that parity: a meta page in the wrong slot makes
// readers (this check too) see another tree than the writer changes.
std::string meta_slots(const std::string& data, std::uint64_t page_size) {
  std::ifstream in(data, std::ios::binary);
  std::string pages(2 * page_size, '\0');
  if (!in.read(pages.data(), static_cast<std::streamsize>(pages.size()))) return "its meta pages cannot be read";
  constexpr std::size_t txnid_at = 16 + 24 + 48 + 48 + 8;  // after the header, the meta's fields and both databases
  for (std::uint64_t slot = 0; slot < 2; ++slot) {
    std::uint64_t txnid = 0;
    std::memcpy(&txnid, pages.data() + slot * page_size + txnid_at, sizeof txnid);
    if (txnid != 0 && txnid % 2 != slot) {
      return fmt::format("the meta page of transaction {} sits in slot {}, where LMDB never writes it", txnid, slot);
    }
  }
  return {};
}

// The nodes of a leaf or branch page must tile it, from its upper bound to
// its end, as LMDB packs them: a node whose key or value size was changed
// reads back but makes the next write that moves it shift the wrong bytes.
std::string page_layout(const unsigned char* page, std::uint64_t number, std::uint64_t page_size) {
  std::uint16_t flags = 0, lower = 0, upper = 0;
  std::memcpy(&flags, page + 10, sizeof flags);
  std::memcpy(&lower, page + 12, sizeof lower);
  std::memcpy(&upper, page + 14, sizeof upper);
  // On disk a page is exactly one of branch (0x01), leaf (0x02) or overflow
  // (0x04): a flag such as "dirty" would make the next write change the
  // page in place instead of copying it.
  if (flags != 0x01 && flags != 0x02 && flags != 0x04) {
    return fmt::format("page {} has the flags {:#06x}, not those of a stored page", number, flags);
  }
  if (flags == 0x04) return {};  // an overflow page holds one value, no nodes
  const bool leaf = flags == 0x02;
  if (lower < 16 || lower > upper || upper > page_size || (lower - 16) % 2 != 0) {
    return fmt::format("page {} has bounds {} and {}, outside the page", number, lower, upper);
  }
  std::vector<std::uint16_t> nodes((lower - 16u) / 2);
  if (!nodes.empty()) std::memcpy(nodes.data(), page + 16, nodes.size() * sizeof(std::uint16_t));
  std::sort(nodes.begin(), nodes.end());
  std::uint64_t at = upper;
  for (std::uint16_t node : nodes) {
    if (node != at || at + 8 > page_size) {
      return fmt::format("page {} has a node at {} where one should end at {}", number, node, at);
    }
    std::uint16_t low = 0, high = 0, node_flags = 0, key_size = 0;
    std::memcpy(&low, page + node, sizeof low);
    std::memcpy(&high, page + node + 2, sizeof high);
    std::memcpy(&node_flags, page + node + 4, sizeof node_flags);
    std::memcpy(&key_size, page + node + 6, sizeof key_size);
    // mn_lo and mn_hi: the value's size on a leaf (F_BIGDATA: an overflow
    // page number in the value), part of the child's page number on a branch.
    std::uint64_t value_size = !leaf ? 0 : (node_flags & 0x01) != 0 ? 8 : (std::uint64_t{high} << 16 | low);
    std::uint64_t size = 8 + key_size + value_size;
    at += size + (size & 1);
  }
  if (at != page_size) return fmt::format("page {}'s nodes end at {}, not at the end of the page", number, at);
  return {};
}

// Every page a record or a free-list entry was read from, and every branch
// page above them, must carry its own number in its header and be laid out
// as LMDB lays pages out: LMDB trusts that number when the next write copies
// the page and frees the old one, so a wrong number puts a page that is in
// use, or one beyond the file, on the free list. The first page seen places
// the map (pages 0 and 1 must be the meta pages there; a wrong place faults,
// in the child); every other page must agree with it.
class PageChecks {
 public:
  PageChecks(std::uint64_t page_size, std::uint64_t last_page)
      : page_size_(page_size), last_page_(last_page),
        // The map starts on a page boundary only when LMDB's pages are the system's.
        usable_(page_size == static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE))) {}

  // Empty when the page holding `val` is where its header says.
  std::string check(const MDB_val& val) {
    if (!usable_ || val.mv_size == 0) return {};
    const auto address = reinterpret_cast<std::uintptr_t>(val.mv_data);
    const std::uintptr_t page = address - address % page_size_;
    std::uint64_t number = 0;
    std::memcpy(&number, reinterpret_cast<const void*>(page), sizeof number);
    if (number < 2 || number > last_page_) {
      return fmt::format("a page's header says it is page {}, outside the file's {} pages", number, last_page_ + 1);
    }
    const std::uintptr_t base = page - number * page_size_;
    if (base_ == 0) {
      const auto* map = reinterpret_cast<const unsigned char*>(base);
      if (!is_meta_page(map) || !is_meta_page(map + page_size_)) {
        return fmt::format("a page's header says it is page {}, which it is not", number);
      }
      base_ = base;
    } else if (base != base_) {
      return fmt::format("page {} says it is page {} in its header",
                         static_cast<std::int64_t>((page - base_) / page_size_), number);
    }
    if (laid_out_.insert(number).second) {
      return page_layout(reinterpret_cast<const unsigned char*>(page), number, page_size_);
    }
    return {};
  }

  // The branch pages, which no record is read from: walked from the roots of
  // both databases as the meta page of transaction `txnid` names them. Each
  // must carry its own number and name children inside the file.
  std::string check_branches(std::uint64_t txnid) {
    if (!usable_ || base_ == 0 || std::endian::native != std::endian::little) return {};
    const auto* map = reinterpret_cast<const unsigned char*>(base_);
    const unsigned char* meta = nullptr;
    for (std::uint64_t m = 0; m < 2 && !meta; ++m) {
      std::uint64_t id = 0;
      std::memcpy(&id, map + m * page_size_ + meta_txnid, sizeof id);
      if (id == txnid) meta = map + m * page_size_;
    }
    if (!meta) return "no meta page holds the transaction LMDB read";
    std::uint64_t budget = last_page_ + 1;  // more branch pages than the file holds: a loop
    for (std::size_t db : {meta_free_db, meta_main_db}) {
      std::uint16_t depth = 0;
      std::uint64_t root = 0;
      std::memcpy(&depth, meta + db + 6, sizeof depth);
      std::memcpy(&root, meta + db + 40, sizeof root);
      if (depth > 1) {
        // Only the main database's keys are compared as bytes; the free
        // list's are integers.
        KeyRange whole{std::nullopt, std::nullopt, db == meta_main_db};
        if (auto wrong = walk_branch(map, root, depth - 1u, whole, budget); !wrong.empty()) return wrong;
      }
    }
    return {};
  }

 private:
  // MDB_meta after the 16-byte page header: magic, version, address, map
  // size, then the two MDB_db (48 bytes each: pad, flags, depth, three page
  // counts, entries, root), the last page and the transaction id.
  static constexpr std::size_t meta_free_db = 16 + 24;
  static constexpr std::size_t meta_main_db = meta_free_db + 48;
  static constexpr std::size_t meta_txnid = meta_main_db + 48 + 8;

  // The keys a subtree may hold: from `low` (inclusive) to `high`
  // (exclusive), as the separators above it say. LMDB finds where a new
  // record goes by these separators alone: one out of place sends inserts
  // to the wrong leaf, and the tree falls out of order at the next writes.
  struct KeyRange {
    std::optional<std::string_view> low;
    std::optional<std::string_view> high;
    bool ordered;
  };

  static std::string_view node_key(const unsigned char* page, std::uint16_t at) {
    std::uint16_t key_size = 0;
    std::memcpy(&key_size, page + at + 6, sizeof key_size);
    return {reinterpret_cast<const char*>(page + at + 8), key_size};
  }

  static bool inside(std::string_view key, const KeyRange& range) {
    return (!range.low || key >= *range.low) && (!range.high || key < *range.high);
  }

  // `levels`: branch levels from this page down (0: a leaf, whose records
  // were read and whose layout was checked; here only its keys' range).
  std::string walk_branch(const unsigned char* map, std::uint64_t number, unsigned levels, const KeyRange& range,
                          std::uint64_t& budget) {
    if (number < 2 || number > last_page_) {
      return fmt::format("a branch names page {}, outside the file's {} pages", number, last_page_ + 1);
    }
    if (budget-- == 0) return "the branch pages loop";
    const unsigned char* page = map + number * page_size_;
    std::uint64_t own = 0;
    std::uint16_t flags = 0, lower = 0, upper = 0;
    std::memcpy(&own, page, sizeof own);
    std::memcpy(&flags, page + 10, sizeof flags);
    std::memcpy(&lower, page + 12, sizeof lower);
    std::memcpy(&upper, page + 14, sizeof upper);
    if (own != number) return fmt::format("{} page {} says it is page {} in its header", levels ? "branch" : "leaf", number, own);
    if (auto wrong = page_layout(page, number, page_size_); !wrong.empty()) return wrong;
    const std::size_t count = (lower - 16u) / 2;
    auto node_at = [&](std::size_t i) {
      std::uint16_t at = 0;
      std::memcpy(&at, page + 16 + 2 * i, sizeof at);
      return at;
    };
    if (levels == 0) {
      if ((flags & 0x02) == 0) return fmt::format("page {} should be a leaf page and is not", number);
      for (std::size_t i = 0; range.ordered && i < count; ++i) {
        if (!inside(node_key(page, node_at(i)), range)) {
          return fmt::format("leaf page {} holds a key outside the range its branch gives it", number);
        }
      }
      return {};
    }
    if ((flags & 0x01) == 0) return fmt::format("page {} should be a branch page and is not", number);
    for (std::size_t i = 0; i < count; ++i) {
      // The first separator is implicit: the parent's lower bound.
      KeyRange child{i == 0 ? range.low : std::optional<std::string_view>(node_key(page, node_at(i))),
                     i + 1 < count ? std::optional<std::string_view>(node_key(page, node_at(i + 1))) : range.high,
                     range.ordered};
      if (range.ordered && i > 0 && (!inside(*child.low, range) || (child.high && *child.low >= *child.high))) {
        return fmt::format("branch page {} has separators out of order", number);
      }
      std::uint64_t next = 0;  // mn_lo, mn_hi, mn_flags: the child's page number
      std::memcpy(&next, page + node_at(i), 6);
      if (auto wrong = walk_branch(map, next, levels - 1, child, budget); !wrong.empty()) return wrong;
    }
    return {};
  }

  std::uint64_t page_size_;
  std::uint64_t last_page_;
  bool usable_;
  std::uintptr_t base_ = 0;
  std::unordered_set<std::uint64_t> laid_out_;
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
  if (auto wrong = meta_slots(data, page_size); !wrong.empty()) return damaged(wrong);
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
  PageChecks pages(page_size, last_page);
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
    if (auto wrong = pages.check(key); !wrong.empty() || !(wrong = pages.check(value)).empty()) {
      mdb_cursor_close(cursor);
      return damaged(fmt::format("record {}: {}", health.records, wrong));
    }
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
    if (auto wrong = pages.check(key); !wrong.empty() || !(wrong = pages.check(value)).empty()) {
      mdb_cursor_close(cursor);
      return damaged(fmt::format("the free list: {}", wrong));
    }
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
  if (auto wrong = pages.check_branches(info.me_last_txnid); !wrong.empty()) return damaged(wrong);

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
