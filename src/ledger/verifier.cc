#include "ledger/verifier.h"

#include <pthread.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <boost/json.hpp>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <thread>

#include "base/canonical_json.h"
#include "base/encoding.h"
#include "ledger/checkpoint_file.h"
#include "ledger/log_reader.h"
#include "ledger/merkle.h"
#include "ledger/record.h"

namespace writ::ledger {
namespace {

constexpr size_t kNodeCheckChunk = 1024;
constexpr uint64_t kProgressEvery = 1 << 16;

class Verification {
 public:
  Verification(store::LedgerStore& store, const VerifyOptions& options)
      : store_(store), options_(options) {}

  Result<VerifyReport> Run() {
    WRIT_ASSIGN_OR_RETURN(uint64_t total, store_.RecordCount(options_.origin));
    total_ = total;
    report_.signatures_checked = options_.key.has_value();
    // Checkpoints to check, by tree size: from the store and from the outside file.
    WRIT_ASSIGN_OR_RETURN(auto stored, store_.Checkpoints(options_.origin));
    for (auto& c : stored) pending_.emplace(c.tree_size, Pending{c.note, "store"});
    if (!options_.outside_checkpoint_file.empty()) {
      WRIT_ASSIGN_OR_RETURN(auto outside, ReadCheckpointFile(options_.outside_checkpoint_file));
      for (auto& c : outside) {
        if (c.origin != options_.origin) continue;
        pending_.emplace(c.tree_size, Pending{c.note, "outside file"});
      }
    }
    // Two threads over the two cores this is measured on, each with a reader of its own over
    // the same records: they take chunks of seqs in turn, and hash and decode each record as
    // they read it, while its bytes are in cache and without copying them (a copy cost 15% of
    // verify when the hashing was done from a second buffer). This thread also walks the chain
    // and the tree over the chunks in seq order; while the next one is not ready it reads one.
    WRIT_ASSIGN_OR_RETURN(std::unique_ptr<store::RecordScan> mine,
                          store_.OpenRecordScan(options_.origin));
    WRIT_ASSIGN_OR_RETURN(std::unique_ptr<store::RecordScan> theirs,
                          store_.OpenRecordScan(options_.origin));
    uint64_t end = std::min(mine->End(), theirs->End());
    Chunks chunks(end, std::max<uint64_t>(1, options_.read_chunk), options_.origin, options_.key);
    Status read = chunks.Run(*mine, *theirs, [&](const Chunk& c) { return VisitChunk(c); });
    WRIT_RETURN_IF_ERROR(read);
    if (!report_.problem) FinishChain();
    if (!report_.problem) CheckNodes(true);
    if (!report_.problem) CheckPendingCheckpoints(position_);
    if (!report_.problem && !pending_.empty()) {
      auto it = pending_.begin();
      Problem(position_, "log truncated: a checkpoint (" + it->second.source +
                             ") covers tree size " + std::to_string(it->first) + " but only " +
                             std::to_string(position_) + " records exist");
    }
    report_.records = position_;
    report_.root = range_.Root(hasher_);
    if (options_.progress) options_.progress(position_, total_);
    return report_;
  }

 private:
  struct Pending {
    std::string note;
    std::string source;
  };

  // A checkpoint problem found while a chain break is pending is left to the chain's
  // resolution, which names an earlier record.
  void CheckpointProblem(uint64_t seq, std::string what) {
    if (!chain_break_) Problem(seq, std::move(what));
  }

  void Problem(uint64_t seq, std::string what) {
    if (!report_.problem) report_.problem = VerifyProblem{seq, std::move(what)};
  }

  // A checkpoint note opened (its signature checked when there is a key): what it signs, or why
  // it cannot be opened.
  struct OpenedNote {
    bool ok = false;
    bool forged = false;  // with a key: the signature does not check (else: malformed)
    std::string error;
    Checkpoint cp;
  };
  static OpenedNote OpenNote(std::string_view note, const std::optional<VerifierKey>& key) {
    auto unsigned_body = [&]() -> Result<Checkpoint> {
      WRIT_ASSIGN_OR_RETURN(ParsedNote parsed, ParseNote(note));
      return ParseCheckpointBody(parsed.body);
    };
    Result<Checkpoint> cp = key ? OpenCheckpoint(note, *key) : unsigned_body();
    OpenedNote o;
    o.forged = key && !cp.ok();
    o.ok = cp.ok();
    if (cp.ok()) {
      o.cp = *cp;
    } else {
      o.error = cp.status().message();
    }
    return o;
  }
  // A checkpoint record's note and the tree size it states, read and opened by the thread that
  // read the record (Ed25519 checks were a tenth of verify's CPU, all on the visiting thread).
  struct CheckpointRecord {
    bool well_formed = false;  // a JSON object with a string "note" and an integer "tree_size"
    int64_t tree_size = -1;
    std::string note;
    OpenedNote opened;
  };
  static void ReadCheckpointRecord(std::string_view body, const std::optional<VerifierKey>& key,
                                   CheckpointRecord& c) {
    c = CheckpointRecord();
    auto v = ParseJson(body);
    if (!v.ok() || !v->is_object()) return;
    const auto& o = v->as_object();
    auto* note = o.if_contains("note");
    auto* size = o.if_contains("tree_size");
    if (!note || !note->is_string() || !size || !size->is_int64()) return;
    c.well_formed = true;
    c.tree_size = size->as_int64();
    c.note = std::string(note->as_string());
    c.opened = OpenNote(c.note, key);
  }

  // What verify needs of one record, taken while it is read.
  struct Row {
    uint64_t seq = 0;
    Digest leaf{};
    bool leaf_matches = false;  // the stored leaf hash is the computed one
    bool decoded = false;       // the bytes have the record layout (else `error`)
    uint64_t header_seq = 0;
    Digest prev{};
    bool origin_matches = false;  // the header names the log's origin (else `error` names it)
    bool is_checkpoint = false;   // a checkpoint record (see `checkpoint`)
    std::string error;
    CheckpointRecord checkpoint;
  };
  struct Chunk {
    uint64_t index = 0;
    uint64_t end = 0;   // one past its last seq
    bool last = false;  // the log's last chunk
    std::vector<Row> rows;
    Status status;
  };

  static void TakeRow(const store::RecordView& v, std::string_view origin,
                      const std::optional<VerifierKey>& key, Sha256Hasher& h, Row& r) {
    r.seq = v.seq;
    r.leaf = LeafHash(h, v.body);
    r.leaf_matches = v.leaf_hash == DigestBytes(r.leaf);
    auto header = DecodeRecordHeader(v.body);
    r.decoded = header.ok();
    r.error.clear();
    if (!header.ok()) {
      r.error = header.status().message();
      return;
    }
    r.header_seq = header->seq;
    r.prev = header->prev;
    r.origin_matches = header->origin == origin;
    if (!r.origin_matches) r.error = std::string(header->origin);
    r.is_checkpoint = header->kind == "checkpoint";
    if (r.is_checkpoint) ReadCheckpointRecord(header->body, key, r.checkpoint);
  }

  // Chunks of VerifyOptions::read_chunk seqs, read by this thread and a second one in turn into a
  // ring of kRing slots, and visited by this thread in order. Rows are reused from chunk to chunk.
  class Chunks {
   public:
    // Seqs [0, end): both readers see the same records there.
    Chunks(uint64_t end, uint64_t seqs, std::string_view origin,
           const std::optional<VerifierKey>& key)
        : end_(end), count_((end + seqs - 1) / seqs), seqs_(seqs), origin_(origin), key_(key) {}

    Status Run(store::RecordScan& mine, store::RecordScan& theirs,
               const std::function<bool(const Chunk&)>& visit) {
      if (count_ == 0) return Status::Ok();
      std::thread helper([&] {
        pthread_setname_np(pthread_self(), "verify-read");
        Sha256Hasher h;
        std::unique_lock<std::mutex> lock(mu_);
        for (;;) {
          cv_.wait(lock, [&] { return stop_ || CanClaim(); });
          if (stop_ || next_ >= count_) return;
          ReadClaimed(lock, theirs, h);
        }
      });
      Status status;
      bool stopped = false;
      Sha256Hasher h;
      std::unique_lock<std::mutex> lock(mu_);
      for (uint64_t k = 0; k < count_ && status.ok() && !stopped; ++k) {
        Slot& slot = slots_[k % kRing];
        while (!(slot.ready && slot.chunk.index == k)) {
          if (CanClaim()) {
            ReadClaimed(lock, mine, h);
          } else {
            cv_.wait(lock);
          }
        }
        lock.unlock();
        if (!slot.chunk.status.ok()) {
          status = slot.chunk.status;
        } else {
          stopped = !visit(slot.chunk);
        }
        lock.lock();
        slot.ready = false;
        visited_ = k + 1;
        cv_.notify_all();
      }
      stop_ = true;
      cv_.notify_all();
      lock.unlock();
      helper.join();
      return status;
    }

   private:
    struct Slot {
      Chunk chunk;
      bool ready = false;
    };
    static constexpr size_t kRing = 4;

    bool CanClaim() const { return next_ < count_ && next_ < visited_ + kRing; }

    // Claims the next chunk and reads it with `scan` (the lock is released meanwhile).
    void ReadClaimed(std::unique_lock<std::mutex>& lock, store::RecordScan& scan, Sha256Hasher& h) {
      uint64_t k = next_++;
      Chunk& c = slots_[k % kRing].chunk;
      lock.unlock();
      c.index = k;
      c.end = std::min(end_, (k + 1) * seqs_);
      c.last = k + 1 == count_;
      size_t n = 0;
      c.status = scan.Read(k * seqs_, c.end, [&](const store::RecordView& v) {
        if (n == c.rows.size()) c.rows.emplace_back();
        TakeRow(v, origin_, key_, h, c.rows[n++]);
        return true;
      });
      c.rows.resize(n);
      lock.lock();
      slots_[k % kRing].ready = true;
      cv_.notify_all();
    }

    const uint64_t end_;
    const uint64_t count_;
    const uint64_t seqs_;
    const std::string_view origin_;
    const std::optional<VerifierKey>& key_;
    std::mutex mu_;
    std::condition_variable cv_;
    std::array<Slot, kRing> slots_;
    uint64_t next_ = 0;     // the next chunk to claim
    uint64_t visited_ = 0;  // chunks visited
    bool stop_ = false;
  };

  bool VisitChunk(const Chunk& c) {
    for (const Row& r : c.rows) {
      if (!Visit(r)) return false;
    }
    // A chunk that ends short while records follow it misses one (found here rather than at
    // the next record, which may lie far ahead of empty chunks).
    if (!c.last && position_ < c.end) {
      Missing(position_);
      return false;
    }
    return true;
  }

  void Missing(uint64_t i) {
    ResolveChain(false);
    Problem(i, "record " + std::to_string(i) + " is missing");
  }

  bool Visit(const Row& row) {
    uint64_t i = position_;
    if (row.seq != i) {
      // Rows come in key order: a larger seq means seq i is absent; a smaller one, a row whose
      // key and seq disagree (an edited file).
      if (row.seq > i) {
        Missing(i);
      } else {
        ResolveChain(false);
        Problem(i, "the row in the place of record " + std::to_string(i) + " says seq " +
                       std::to_string(row.seq));
      }
      return false;
    }
    const Digest& leaf = row.leaf;
    // A pending chain break between i-2 and i-1 is resolved by whether record i chains to i-1.
    ResolveChain(row.decoded && row.prev == prev_leaf_, row.decoded ? &row.prev : nullptr);
    if (report_.problem) return false;
    if (!row.leaf_matches) {
      Problem(i, "record " + std::to_string(i) + " does not match its stored leaf hash");
      return false;
    }
    if (!row.decoded) {
      Problem(i, "record " + std::to_string(i) + ": " + row.error);
      return false;
    }
    if (!row.origin_matches) {
      Problem(i, "record " + std::to_string(i) + " names origin " + row.error);
      return false;
    }
    if (row.header_seq < i) {
      // The record that belongs at an earlier seq was pushed here: records were inserted there.
      Problem(row.header_seq, "record at position " + std::to_string(i) + " claims seq " +
                                  std::to_string(row.header_seq) +
                                  ": records were inserted from seq " +
                                  std::to_string(row.header_seq));
      return false;
    }
    if (row.header_seq != i) {
      Problem(i, "record at position " + std::to_string(i) + " claims seq " +
                     std::to_string(row.header_seq) + " (reordered or inserted)");
      return false;
    }
    if (row.prev != prev_leaf_) {
      if (i == 0) {
        Problem(0, "record 0 does not start the chain");
        return false;
      }
      chain_break_ = true;  // record i-1 or record i was altered; record i+1 tells which
    }
    if (row.is_checkpoint && row.checkpoint.well_formed) {
      opened_note_ = row.checkpoint.note;  // the store's copy of this note is not opened again
      opened_ = row.checkpoint.opened;
    }
    CheckPendingCheckpoints(i);
    if (row.is_checkpoint) CheckCheckpointRecord(i, row.checkpoint);
    if (report_.problem) return false;
    completed_.clear();
    range_.Append(hasher_, leaf, &completed_);
    for (const auto& c : completed_) {
      if (IsStoredLevel(c.level)) computed_nodes_[c.level].push_back(c);
    }
    CheckNodes(false);
    prev_leaf_ = leaf;
    ++position_;
    if (options_.progress && position_ % kProgressEvery == 0) {
      options_.progress(position_, total_);
    }
    return !report_.problem;
  }

  // Called with whether the current record chains to the previous one, when the previous one
  // (`broken`) did not chain to its own predecessor. If the successor confirms `broken`, its
  // predecessor is the record that changed. Otherwise the chain breaks on both sides of
  // `broken`: either its predecessor and it were both changed, or `broken` alone was replaced
  // with a wrong link. The stored subtree over the predecessor decides (see PredecessorIntact);
  // when it cannot, the predecessor is named, the first record that may have changed.
  // `successor_prev` is the successor's link (the leaf hash `broken` had when it was appended),
  // or null when there is no readable successor.
  void ResolveChain(bool successor_confirms, const Digest* successor_prev = nullptr) {
    if (!chain_break_) return;
    chain_break_ = false;
    uint64_t broken = position_ - 1;
    uint64_t before = broken - 1;
    if (successor_confirms) {
      Problem(before, "record " + std::to_string(before) +
                          " was changed (its successor's chain link does not match it)");
      return;
    }
    std::optional<bool> intact = PredecessorIntact(before, successor_prev);
    if (intact.value_or(false)) {
      Problem(broken, "record " + std::to_string(broken) +
                          " was changed, inserted or moved (chain broken on both sides; the "
                          "stored subtree shows record " +
                          std::to_string(before) + " intact)");
    } else if (intact.has_value()) {
      Problem(before, "record " + std::to_string(before) + " was changed, and record " +
                          std::to_string(broken) +
                          " after it (chain broken after both; the stored subtree over them "
                          "does not match)");
    } else {
      Problem(before, "record " + std::to_string(before) + " or record " + std::to_string(broken) +
                          " was changed first (chain broken after both; no stored subtree "
                          "tells them apart)");
    }
  }

  // Whether record `seq` is as it was appended, judged by the stored subtree hash of the
  // smallest stored level over it: the subtree is recomputed from the stored leaf hashes (those
  // up to the current position were checked against the records), with the leaf hash of
  // record seq + 1 replaced by `next_original` (its hash when appended, from its successor's
  // link) when that record lies in the same subtree. nullopt when it cannot be told: no stored
  // subtree over `seq` yet, or seq + 1 in it without a known original.
  std::optional<bool> PredecessorIntact(uint64_t seq, const Digest* next_original) {
    constexpr uint32_t kLevel = kStoredLevelStride;
    constexpr uint64_t kWidth = uint64_t{1} << kLevel;
    uint64_t index = seq >> kLevel;
    uint64_t first = index << kLevel;
    uint64_t next = seq + 1;
    bool next_inside = next < first + kWidth;
    if (next_inside && next_original == nullptr) return std::nullopt;
    auto leaves = store_.LeafHashes(options_.origin, first, first + kWidth);
    auto stored = store_.NodeHashes(options_.origin, kLevel, index, index + 1);
    if (!leaves.ok() || !stored.ok()) return std::nullopt;
    if (next_inside) (*leaves)[next - first] = *next_original;
    for (size_t n = leaves->size(); n > 1; n /= 2) {
      for (size_t k = 0; k < n / 2; ++k) {
        (*leaves)[k] = NodeHash(hasher_, (*leaves)[2 * k], (*leaves)[2 * k + 1]);
      }
    }
    return (*leaves)[0] == (*stored)[0];
  }

  void FinishChain() { ResolveChain(false); }

  // Checks a checkpoint note against the recomputed tree of `size` leaves (the current range).
  void CheckNote(uint64_t size, const std::string& note, const std::string& source) {
    if (!opened_note_ || note != *opened_note_) {
      opened_note_ = note;
      opened_ = OpenNote(note, options_.key);
    }
    CheckOpened(size, opened_, source);
  }

  void CheckOpened(uint64_t size, const OpenedNote& opened, const std::string& source) {
    ++report_.checkpoints;
    if (!opened.ok) {
      CheckpointProblem(size,
                        "checkpoint for tree size " + std::to_string(size) + " (" + source +
                            (opened.forged ? ") is forged: " + opened.error : ") is malformed"));
      return;
    }
    const Checkpoint& cp = opened.cp;
    if (cp.origin != options_.origin || cp.tree_size != size) {
      CheckpointProblem(size, "checkpoint for tree size " + std::to_string(size) + " (" + source +
                                  ") names another log or size");
      return;
    }
    if (cp.root != range_.Root(hasher_)) {
      CheckpointProblem(size, "checkpoint for tree size " + std::to_string(size) + " (" + source +
                                  ") does not match the log: the records before it were changed");
    }
  }

  void CheckPendingCheckpoints(uint64_t size) {
    while (!pending_.empty() && pending_.begin()->first <= size && !report_.problem) {
      auto it = pending_.begin();
      if (it->first == size) CheckNote(size, it->second.note, it->second.source);
      pending_.erase(it);
    }
  }

  void CheckCheckpointRecord(uint64_t seq, const CheckpointRecord& c) {
    if (!c.well_formed || c.tree_size < 0 || static_cast<uint64_t>(c.tree_size) != seq) {
      Problem(seq, "checkpoint record " + std::to_string(seq) + " is malformed");
      return;
    }
    CheckOpened(seq, c.opened, "record");
  }

  // Compares computed subtree hashes with the stored ones, a chunk at a time.
  void CheckNodes(bool final) {
    for (auto& [level, nodes] : computed_nodes_) {
      if (nodes.empty() || (!final && nodes.size() < kNodeCheckChunk)) continue;
      uint64_t first = nodes.front().index;
      auto stored = store_.NodeHashes(options_.origin, level, first, first + nodes.size());
      for (size_t k = 0; k < nodes.size(); ++k) {
        if (!stored.ok() || (*stored)[k] != nodes[k].hash) {
          uint64_t seq = nodes[k].index << level;
          Problem(seq, "stored Merkle subtree (level " + std::to_string(level) + ", index " +
                           std::to_string(nodes[k].index) +
                           ") is missing or does not match the records from seq " +
                           std::to_string(seq));
          return;
        }
      }
      report_.nodes += nodes.size();
      nodes.clear();
    }
  }

  store::LedgerStore& store_;
  const VerifyOptions& options_;
  VerifyReport report_;
  uint64_t total_ = 0;
  uint64_t position_ = 0;
  Digest prev_leaf_{};
  bool chain_break_ = false;
  Sha256Hasher hasher_;
  CompactRange range_;
  std::vector<CompletedNode> completed_;
  std::map<uint32_t, std::vector<CompletedNode>> computed_nodes_;
  std::multimap<uint64_t, Pending> pending_;
  // The note last opened, and the result: the store's table and the checkpoint record hold the
  // same note, which is opened once.
  std::optional<std::string> opened_note_;
  OpenedNote opened_;
};

}  // namespace

Result<VerifyReport> VerifyLedger(store::LedgerStore& store, const VerifyOptions& options) {
  WRIT_RETURN_IF_ERROR(ValidateOrigin(options.origin));
  Verification v(store, options);
  return v.Run();
}

}  // namespace writ::ledger
