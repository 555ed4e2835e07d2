// An outside checkpoint file: every signed checkpoint the ledger writes is also appended here,
// one JSON object per line ({"note": ..., "origin": ..., "tree_size": ...}), and synced. Kept
// on another disk, host or write-once medium, it catches a rewrite of the whole store: a
// rewritten log cannot match checkpoints signed before the rewrite.
//
// A crash can leave a torn last line; Open() cuts it off (the checkpoint it held is still in
// the store and is re-appended by the ledger). ReadCheckpointFile() only reads and ignores a
// torn tail, so verify never modifies the file.
//
// Thread-safety: a CheckpointFile belongs to one thread (the ledger's writer).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "base/status.h"
#include "store/store.h"

namespace writ::ledger {

class CheckpointFile {
 public:
  // Opens (creating it, mode 0600, when missing) and repairs a torn tail.
  static Result<CheckpointFile> Open(const std::string& path);
  CheckpointFile(CheckpointFile&& other) noexcept;
  CheckpointFile& operator=(CheckpointFile&& other) noexcept;
  ~CheckpointFile();

  // Appends one line and syncs it.
  Status Append(const store::StoredCheckpoint& checkpoint);
  // The largest tree size of `origin` in the file (0 when none).
  uint64_t LastTreeSize(const std::string& origin) const;

 private:
  CheckpointFile(std::string path, int fd, const std::vector<store::StoredCheckpoint>& existing);
  std::string path_;
  int fd_ = -1;
  std::map<std::string, uint64_t> last_sizes_;  // per origin
};

// Every complete line of the file, in order; data_loss when a complete line is not a
// checkpoint entry; not_found when the file does not exist.
Result<std::vector<store::StoredCheckpoint>> ReadCheckpointFile(const std::string& path);

}  // namespace writ::ledger
