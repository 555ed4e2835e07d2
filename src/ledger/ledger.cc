#include "ledger/ledger.h"

#include <boost/json/object.hpp>
#include <chrono>

#include "base/encoding.h"
#include "ledger/log_reader.h"

namespace writ::ledger {

Ledger::Ledger(store::LedgerStore& store, const NoteSigner& signer, const Clock& clock,
               LedgerOptions options)
    : store_(store), signer_(signer), clock_(clock), options_(std::move(options)) {}

Result<std::unique_ptr<Ledger>> Ledger::Open(store::LedgerStore& store, const NoteSigner& signer,
                                             const Clock& clock, LedgerOptions options) {
  WRIT_RETURN_IF_ERROR(ValidateOrigin(options.origin));
  if (options.checkpoint_every_records == 0 || options.checkpoint_every_ms <= 0 ||
      options.max_batch_records == 0) {
    return InvalidArgument("ledger: checkpoint intervals and batch size must be positive");
  }
  std::unique_ptr<Ledger> ledger(new Ledger(store, signer, clock, std::move(options)));
  WRIT_RETURN_IF_ERROR(ledger->LoadState());
  if (!ledger->options_.outside_checkpoint_file.empty()) {
    WRIT_ASSIGN_OR_RETURN(CheckpointFile file,
                          CheckpointFile::Open(ledger->options_.outside_checkpoint_file));
    ledger->checkpoint_file_.emplace(std::move(file));
    WRIT_RETURN_IF_ERROR(ledger->SyncCheckpointFile());
  }
  ledger->writer_ = std::thread([l = ledger.get()] { l->WriterLoop(); });
  return ledger;
}

Ledger::~Ledger() {
  (void)Close();
}

Status Ledger::LoadState() {
  LedgerReader reader(store_, options_.origin);
  WRIT_ASSIGN_OR_RETURN(uint64_t size, reader.TreeSize());
  WRIT_ASSIGN_OR_RETURN(CompactRange range, reader.Range(size));
  Digest last{};
  if (size > 0) {
    WRIT_ASSIGN_OR_RETURN(auto leaves, store_.LeafHashes(options_.origin, size - 1, size));
    last = leaves[0];
  }
  WRIT_ASSIGN_OR_RETURN(auto latest, store_.LatestCheckpoint(options_.origin));
  range_ = std::move(range);
  last_leaf_ = last;
  covered_size_ = latest ? latest->tree_size + 1 : 0;
  first_uncovered_us_ = size > covered_size_ ? clock_.NowMicros() : 0;
  std::lock_guard<std::mutex> lock(mu_);
  stats_.tree_size = size;
  return Status::Ok();
}

Status Ledger::SyncCheckpointFile() {
  if (!checkpoint_file_) return Status::Ok();
  uint64_t last = checkpoint_file_->LastTreeSize(options_.origin);
  WRIT_ASSIGN_OR_RETURN(auto all, store_.Checkpoints(options_.origin));
  for (const auto& c : all) {
    if (c.tree_size > last) WRIT_RETURN_IF_ERROR(checkpoint_file_->Append(c));
  }
  return Status::Ok();
}

Result<AppendReceipt> Ledger::Append(LedgerEntry entry) {
  Request r;
  r.entries.push_back(std::move(entry));
  WRIT_RETURN_IF_ERROR(Submit(&r));
  return r.receipts.front();
}

Result<std::vector<AppendReceipt>> Ledger::AppendBatch(std::vector<LedgerEntry> entries) {
  if (entries.empty()) return std::vector<AppendReceipt>();
  Request r;
  r.entries = std::move(entries);
  WRIT_RETURN_IF_ERROR(Submit(&r));
  return std::move(r.receipts);
}

Status Ledger::Checkpoint() {
  Request r;
  r.checkpoint_only = true;
  return Submit(&r);
}

Status Ledger::Submit(Request* request) {
  std::unique_lock<std::mutex> lock(mu_);
  if (stopping_ || closed_) return FailedPrecondition("ledger: closed");
  queue_.push_back(request);
  work_cv_.notify_one();
  done_cv_.wait(lock, [&] { return request->done; });
  return request->status;
}

Status Ledger::Close() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (closed_) return Status::Ok();
    stopping_ = true;
  }
  work_cv_.notify_one();
  if (writer_.joinable()) writer_.join();
  std::lock_guard<std::mutex> lock(mu_);
  closed_ = true;
  return Status::Ok();
}

LedgerStats Ledger::Stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stats_;
}

uint64_t Ledger::TreeSize() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stats_.tree_size;
}

void Ledger::WriterLoop() {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    bool timer_checkpoint = false;
    while (queue_.empty() && !stopping_) {
      if (first_uncovered_us_ == 0) {
        work_cv_.wait(lock);
        continue;
      }
      int64_t remaining =
          first_uncovered_us_ + options_.checkpoint_every_ms * 1000 - clock_.NowMicros();
      if (remaining <= 0) {
        timer_checkpoint = true;
        break;
      }
      // Re-check at least every 100 ms so that a clock that is not the system clock works.
      work_cv_.wait_for(lock, std::chrono::microseconds(std::min<int64_t>(remaining, 100000)));
    }
    if (queue_.empty() && stopping_) {
      lock.unlock();
      std::vector<Request*> none;
      if (first_uncovered_us_ != 0) ProcessBatch(none, true);
      return;
    }
    std::vector<Request*> batch;
    size_t records = 0;
    bool force = timer_checkpoint;
    while (!queue_.empty() && (batch.empty() || records < options_.max_batch_records)) {
      Request* r = queue_.front();
      queue_.pop_front();
      records += r->entries.size();
      force = force || r->checkpoint_only;
      batch.push_back(r);
    }
    lock.unlock();
    ProcessBatch(batch, force);
    lock.lock();
  }
}

void Ledger::ProcessBatch(std::vector<Request*>& batch, bool force_checkpoint) {
  auto finish = [&](const Status& status) {
    std::lock_guard<std::mutex> lock(mu_);
    for (Request* r : batch) {
      r->status = status;
      if (!status.ok()) r->receipts.clear();
      r->done = true;
    }
    done_cv_.notify_all();
  };
  auto fail = [&](const Status& cause) {
    uint64_t n = 0;
    for (Request* r : batch) n += r->entries.size();
    Status s = Unavailable("ledger: cannot record (" + std::string(StatusCodeName(cause.code())) +
                           "): " + cause.message());
    {
      std::lock_guard<std::mutex> lock(mu_);
      stats_.append_failures += n;
      stats_.last_error = s.message();
    }
    finish(s);
  };

  if (reload_needed_) {
    Status s = LoadState();
    if (!s.ok()) {
      fail(s);
      return;
    }
    reload_needed_ = false;
  }

  store::LedgerBatch b;
  b.origin = options_.origin;
  b.first_seq = range_.size();
  CompactRange range = range_;
  Digest prev = last_leaf_;
  int64_t first_uncovered = first_uncovered_us_;
  std::vector<CompletedNode> completed;
  int64_t now = clock_.NowMicros();

  auto add = [&](const LedgerEntry& e, Request* r) {
    uint64_t seq = range.size();
    store::StoredRecord rec;
    rec.body = EncodeRecord(e, options_.origin, seq, prev, now);
    rec.leaf_hash = LeafHash(hasher_, rec.body);
    completed.clear();
    range.Append(hasher_, rec.leaf_hash, &completed);
    for (const auto& c : completed) {
      if (IsStoredLevel(c.level)) b.nodes.push_back({c.level, c.index, c.hash});
    }
    rec.origin = options_.origin;
    rec.seq = seq;
    rec.kind = std::string(RecordKindName(e.kind));
    rec.time_us = now;
    rec.decision_id = e.decision_id;
    rec.task_id = e.task_id;
    rec.principal = e.principal;
    rec.verdict = e.verdict;
    if (r) r->receipts.push_back({seq, rec.leaf_hash});
    prev = rec.leaf_hash;
    b.records.push_back(std::move(rec));
  };

  for (Request* r : batch) {
    r->receipts.reserve(r->entries.size());
    for (const LedgerEntry& e : r->entries) add(e, r);
  }
  if (!b.records.empty() && first_uncovered == 0) first_uncovered = now;

  bool any_checkpoint = false;
  uint64_t size = range.size();
  uint64_t uncovered = size > covered_size_ ? size - covered_size_ : 0;
  if (uncovered > 0 && (force_checkpoint || uncovered >= options_.checkpoint_every_records ||
                        now - first_uncovered >= options_.checkpoint_every_ms * 1000)) {
    ledger::Checkpoint cp;
    cp.origin = options_.origin;
    cp.tree_size = size;
    cp.root = range.Root(hasher_);
    auto note = SignCheckpoint(cp, signer_);
    if (note.ok()) {
      boost::json::object body;
      body["note"] = *note;
      body["root"] = Base64Encode(DigestBytes(cp.root));
      body["tree_size"] = static_cast<int64_t>(size);
      auto entry = MakeEntry(RecordKind::kCheckpoint, body);
      if (entry.ok()) {
        add(*entry, nullptr);
        b.checkpoints.push_back({options_.origin, size, now, *note});
        any_checkpoint = true;
      }
    } else {
      std::lock_guard<std::mutex> lock(mu_);
      stats_.last_error = note.status().message();
    }
  }

  if (b.records.empty()) {
    finish(Status::Ok());
    return;
  }
  Status s = store_.AppendBatch(b);
  if (!s.ok()) {
    reload_needed_ = true;
    fail(s);
    return;
  }
  range_ = std::move(range);
  last_leaf_ = prev;
  if (any_checkpoint) {
    covered_size_ = b.checkpoints.back().tree_size + 1;
    first_uncovered_us_ = 0;
  } else {
    first_uncovered_us_ = first_uncovered;
  }
  Status file_status;
  if (any_checkpoint && checkpoint_file_) file_status = SyncCheckpointFile();
  {
    std::lock_guard<std::mutex> lock(mu_);
    uint64_t n = 0;
    for (Request* r : batch) n += r->entries.size();
    stats_.appended += n;
    stats_.batches += 1;
    stats_.tree_size = range_.size();
    if (any_checkpoint) stats_.checkpoints += 1;
    if (!file_status.ok()) {
      stats_.checkpoint_file_failures += 1;
      stats_.last_error = file_status.message();
    }
  }
  finish(Status::Ok());
}

}  // namespace writ::ledger
