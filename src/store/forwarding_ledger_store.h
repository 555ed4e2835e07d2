// A LedgerStore that forwards every call to another one: the base of a wrapper that changes a
// few calls (a test's store that holds or fails commits, for instance) and passes the rest on.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "store/store.h"

namespace writ::store {

class ForwardingLedgerStore : public LedgerStore {
 public:
  explicit ForwardingLedgerStore(LedgerStore& inner) : inner_(inner) {}

  Status AppendBatch(const LedgerBatch& b) override {
    WRIT_RETURN_IF_ERROR(CommitBatch(b));
    return SyncCommitted();
  }
  Status CommitBatch(const LedgerBatch& b) override { return inner_.CommitBatch(b); }
  Status SyncCommitted() override { return inner_.SyncCommitted(); }
  Result<uint64_t> RecordCount(const std::string& o) override { return inner_.RecordCount(o); }
  Result<std::vector<std::string>> Origins() override { return inner_.Origins(); }
  Result<std::optional<StoredRecord>> GetRecord(const std::string& o, uint64_t seq) override {
    return inner_.GetRecord(o, seq);
  }
  Result<std::vector<StoredRecord>> QueryRecords(const RecordQuery& q) override {
    return inner_.QueryRecords(q);
  }
  Result<std::vector<Digest>> LeafHashes(const std::string& o, uint64_t b, uint64_t e) override {
    return inner_.LeafHashes(o, b, e);
  }
  Result<std::vector<Digest>> NodeHashes(const std::string& o, uint32_t l, uint64_t b,
                                         uint64_t e) override {
    return inner_.NodeHashes(o, l, b, e);
  }
  Result<std::unique_ptr<RecordScan>> OpenRecordScan(const std::string& o) override {
    return inner_.OpenRecordScan(o);
  }
  Status ScanNodes(const std::string& o, uint32_t l,
                   const std::function<bool(const MerkleNode&)>& fn) override {
    return inner_.ScanNodes(o, l, fn);
  }
  Result<std::vector<uint32_t>> NodeLevels(const std::string& o) override {
    return inner_.NodeLevels(o);
  }
  Result<std::vector<StoredCheckpoint>> Checkpoints(const std::string& o) override {
    return inner_.Checkpoints(o);
  }
  Result<std::optional<StoredCheckpoint>> LatestCheckpoint(const std::string& o) override {
    return inner_.LatestCheckpoint(o);
  }

 protected:
  LedgerStore& inner_;
};

}  // namespace writ::store
