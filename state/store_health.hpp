// Whether an LMDB store can be trusted, found out without trusting it: the
// check runs in a child process, so that a damaged page that makes LMDB
// crash (SIGBUS, SIGSEGV) or loop takes down the child, never the caller.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace pushback::state {

enum class StoreCondition {
  absent,        // no data.mdb yet: a fresh store will be created
  sound,         // every record and free page read back as LMDB recorded them
  damaged,       // unreadable: a crash, MDB_CORRUPTED, a page beyond the file, a wrong LMDB format...
  incompatible,  // sound LMDB, but another record format or bucket width than this version reads
};

struct StoreHealth {
  StoreCondition condition = StoreCondition::absent;
  std::string detail;  // what was found, for the log and `pushback state check`
  std::uint64_t records = 0;
  std::uint64_t pages = 0;
  std::uint64_t file_bytes = 0;
};

std::string_view to_string(StoreCondition condition);

// Walks every record of the main database and every entry of the free list
// of STATE_DIR/data.mdb in a child process, and compares what it read with
// the counts LMDB keeps. A child that dies, or does not finish within
// `time_limit`, means damaged. `bucket_seconds` is the width the settings
// ask for (0: not checked).
StoreHealth check_lmdb_store(const std::string& state_dir, std::uint32_t bucket_seconds,
                             std::chrono::milliseconds time_limit);

}  // namespace pushback::state
