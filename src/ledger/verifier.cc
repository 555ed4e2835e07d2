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
constexpr size_t kChunkRows = 4096;
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
    // Pipeline over the two cores this is measured on: this thread reads a chunk of rows from
    // the store while a second thread hashes the previous chunk (SHA-256 of ~1.3 KB per record
    // is the largest single cost) and decodes its headers; then this thread helps finish the
    // hashing, hands over the new chunk, and walks the chain and the tree over the hashed one.
    // Three chunk buffers are reused, so nothing is allocated per chunk.
    HashWorker worker(options_.origin);
    std::array<Chunk, 3> chunks;
    for (auto& c : chunks) {
      c.bytes.reserve(kChunkRows * 1500);
      c.rows.reserve(kChunkRows);
    }
    size_t reading = 0;
    Chunk* hashing = nullptr;
    bool stopped = false;
    auto rotate = [&]() {
      Chunk* ready = hashing;
      if (ready != nullptr) worker.Finish(ready);
      hashing = nullptr;
      if (!chunks[reading].rows.empty()) {
        hashing = &chunks[reading];
        worker.Start(hashing);
        reading = (reading + 1) % chunks.size();
        chunks[reading].Reset();
      }
      if (ready != nullptr && !VisitChunk(*ready)) stopped = true;
    };
    Status scan = store_.ScanRecords(options_.origin, 0, [&](const store::RecordView& v) {
      chunks[reading].Add(v);
      if (chunks[reading].rows.size() >= kChunkRows) rotate();
      return !stopped;
    });
    if (hashing != nullptr) worker.Finish(hashing);
    WRIT_RETURN_IF_ERROR(scan);
    if (!stopped) {
      // Visit the chunk being hashed, then the last partial one.
      Chunk* ready = hashing;
      Chunk* last = chunks[reading].rows.empty() ? nullptr : &chunks[reading];
      if (last != nullptr) {
        worker.Start(last);
        worker.Finish(last);
      }
      if (ready != nullptr && !VisitChunk(*ready)) stopped = true;
      if (!stopped && last != nullptr && !VisitChunk(*last)) stopped = true;
    }
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

  struct Row {
    uint64_t seq = 0;
    size_t leaf_offset = 0, leaf_size = 0, body_offset = 0, body_size = 0;
    Digest leaf{};
    std::optional<RecordHeader> header;  // views into the chunk's bytes
    std::string header_error;
    bool leaf_matches = false;    // the stored leaf hash is the computed one
    bool origin_matches = false;  // the header names the log's origin
    bool is_checkpoint = false;   // a checkpoint record
  };
  struct Chunk {
    std::string bytes;
    std::vector<Row> rows;
    std::atomic<size_t> next{0};  // the next row to hash
    std::atomic<size_t> done{0};  // rows hashed
    void Reset() {
      bytes.clear();
      rows.clear();
      next = 0;
      done = 0;
    }
    void Add(const store::RecordView& v) {
      Row& r = rows.emplace_back();
      r.seq = v.seq;
      r.leaf_offset = bytes.size();
      r.leaf_size = v.leaf_hash.size();
      bytes.append(v.leaf_hash);
      r.body_offset = bytes.size();
      r.body_size = v.body.size();
      bytes.append(v.body);
    }
  };

  // Hashes and decodes rows of `c` in blocks until none is left to claim.
  // The comparisons that read the record's bytes are made here too, while they are in this
  // core's cache (measured: made later on the reading thread, they cost 6% of verify in cache
  // misses).
  static void HashSome(Chunk* c, Sha256Hasher& h, std::string_view origin) {
    constexpr size_t kBlock = 128;
    size_t n = c->rows.size();
    for (;;) {
      size_t begin = c->next.fetch_add(kBlock);
      if (begin >= n) return;
      size_t end = std::min(n, begin + kBlock);
      for (size_t i = begin; i < end; ++i) {
        Row& r = c->rows[i];
        std::string_view body(c->bytes.data() + r.body_offset, r.body_size);
        r.leaf = LeafHash(h, body);
        std::string_view stored_leaf(c->bytes.data() + r.leaf_offset, r.leaf_size);
        r.leaf_matches = stored_leaf == DigestBytes(r.leaf);
        auto header = DecodeRecordHeader(body);
        if (header.ok()) {
          r.header = *header;
          r.origin_matches = header->origin == origin;
          r.is_checkpoint = header->kind == "checkpoint";
        } else {
          r.header.reset();
          r.header_error = header.status().message();
        }
      }
      c->done.fetch_add(end - begin);
    }
  }

  // The second thread: hashes the chunk it is given; the reading thread joins in before it
  // needs the results.
  class HashWorker {
   public:
    explicit HashWorker(std::string_view origin)
        : origin_(origin), thread_([this] {
            pthread_setname_np(pthread_self(), "verify-hash");
            Loop();
          }) {}
    ~HashWorker() {
      {
        std::lock_guard<std::mutex> lock(mu_);
        stopping_ = true;
      }
      cv_.notify_all();
      thread_.join();
    }
    HashWorker(const HashWorker&) = delete;
    HashWorker& operator=(const HashWorker&) = delete;

    void Start(Chunk* c) {
      std::lock_guard<std::mutex> lock(mu_);
      chunk_ = c;
      ++generation_;
      cv_.notify_all();
    }
    // Hashes what is left of `c` on this thread, then waits for the rows the worker holds and
    // for the worker to let go of `c` (so that its buffer can be reused).
    void Finish(Chunk* c) {
      HashSome(c, hasher_, origin_);
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [&] { return c->done.load() == c->rows.size() && working_on_ != c; });
    }

   private:
    void Loop() {
      Sha256Hasher h;
      uint64_t seen = 0;
      std::unique_lock<std::mutex> lock(mu_);
      for (;;) {
        cv_.wait(lock, [&] { return stopping_ || generation_ != seen; });
        if (stopping_) return;
        seen = generation_;
        working_on_ = chunk_;
        lock.unlock();
        HashSome(working_on_, h, origin_);
        lock.lock();
        working_on_ = nullptr;
        cv_.notify_all();
      }
    }

    std::string_view origin_;
    Sha256Hasher hasher_;  // the reading thread's
    std::mutex mu_;
    std::condition_variable cv_;
    Chunk* chunk_ = nullptr;       // the latest chunk started
    Chunk* working_on_ = nullptr;  // the chunk the worker is hashing, if any
    uint64_t generation_ = 0;
    bool stopping_ = false;
    std::thread thread_;  // last: started once the rest is initialised
  };

  bool VisitChunk(const Chunk& c) {
    for (const Row& r : c.rows) {
      if (!Visit(r)) return false;
    }
    return true;
  }

  bool Visit(const Row& row) {
    uint64_t i = position_;
    if (row.seq != i) {
      // Rows come in key order: a larger seq means seq i is absent; a smaller one, a row whose
      // key and seq disagree (an edited file).
      ResolveChain(false);
      Problem(i, row.seq > i ? "record " + std::to_string(i) + " is missing"
                             : "the row in the place of record " + std::to_string(i) +
                                   " says seq " + std::to_string(row.seq));
      return false;
    }
    const Digest& leaf = row.leaf;
    const std::optional<RecordHeader>& header = row.header;
    // A pending chain break between i-2 and i-1 is resolved by whether record i chains to i-1.
    ResolveChain(header.has_value() && header->prev == prev_leaf_,
                 header.has_value() ? &header->prev : nullptr);
    if (report_.problem) return false;
    if (!row.leaf_matches) {
      Problem(i, "record " + std::to_string(i) + " does not match its stored leaf hash");
      return false;
    }
    if (!header) {
      Problem(i, "record " + std::to_string(i) + ": " + row.header_error);
      return false;
    }
    if (!row.origin_matches) {
      Problem(i, "record " + std::to_string(i) + " names origin " + std::string(header->origin));
      return false;
    }
    if (header->seq < i) {
      // The record that belongs at an earlier seq was pushed here: records were inserted there.
      Problem(header->seq, "record at position " + std::to_string(i) + " claims seq " +
                               std::to_string(header->seq) + ": records were inserted from seq " +
                               std::to_string(header->seq));
      return false;
    }
    if (header->seq != i) {
      Problem(i, "record at position " + std::to_string(i) + " claims seq " +
                     std::to_string(header->seq) + " (reordered or inserted)");
      return false;
    }
    if (header->prev != prev_leaf_) {
      if (i == 0) {
        Problem(0, "record 0 does not start the chain");
        return false;
      }
      chain_break_ = true;  // record i-1 or record i was altered; record i+1 tells which
    }
    CheckPendingCheckpoints(i);
    if (row.is_checkpoint) CheckCheckpointRecord(i, header->body);
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
    ++report_.checkpoints;
    Checkpoint cp;
    if (options_.key) {
      auto opened = OpenCheckpoint(note, *options_.key);
      if (!opened.ok()) {
        CheckpointProblem(size, "checkpoint for tree size " + std::to_string(size) + " (" + source +
                                    ") is forged: " + opened.status().message());
        return;
      }
      cp = *opened;
    } else {
      auto parsed = ParseNote(note);
      auto body = parsed.ok() ? ParseCheckpointBody(parsed->body) : parsed.status();
      if (!body.ok()) {
        CheckpointProblem(size, "checkpoint for tree size " + std::to_string(size) + " (" + source +
                                    ") is malformed");
        return;
      }
      cp = *body;
    }
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

  void CheckCheckpointRecord(uint64_t seq, std::string_view body) {
    auto v = ParseJson(body);
    if (!v.ok() || !v->is_object()) {
      Problem(seq, "checkpoint record " + std::to_string(seq) + " is malformed");
      return;
    }
    const auto& o = v->as_object();
    auto* note = o.if_contains("note");
    auto* size = o.if_contains("tree_size");
    if (!note || !note->is_string() || !size || !size->is_int64() ||
        static_cast<uint64_t>(size->as_int64()) != seq) {
      Problem(seq, "checkpoint record " + std::to_string(seq) + " is malformed");
      return;
    }
    CheckNote(seq, std::string(note->as_string()), "record");
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
};

}  // namespace

Result<VerifyReport> VerifyLedger(store::LedgerStore& store, const VerifyOptions& options) {
  WRIT_RETURN_IF_ERROR(ValidateOrigin(options.origin));
  Verification v(store, options);
  return v.Run();
}

}  // namespace writ::ledger
