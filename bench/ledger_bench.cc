// Ledger benchmark: durable appends with group commit at 1, 8 and 64 concurrent writers
// (records of about 1 KB), beside a bare SQLite insert of the same bytes with the same
// durability (WAL, synchronous=FULL) and the same transaction sizes, in the same run; verify
// throughput; resident memory before and after growing the ledger.
//
// usage: ledger_bench [--dir DIR] [--seconds S] [--grow N]
#include <sqlite3.h>
#include <unistd.h>

#include <atomic>
#include <boost/json.hpp>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "ledger/checkpoint.h"
#include "ledger/ledger.h"
#include "ledger/record.h"
#include "ledger/verifier.h"
#include "store/sqlite_store.h"

namespace {

using Clock = std::chrono::steady_clock;

double Seconds(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

long RssKb() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::atol(line.c_str() + 6);
  }
  return -1;
}

// A decision-shaped entry whose record is about 1 KB.
writ::ledger::LedgerEntry Entry(int thread, int n) {
  boost::json::object body;
  body["decision_id"] = "dec-" + std::to_string(thread) + "-" + std::to_string(n);
  body["task_id"] = "task-" + std::to_string(n % 97);
  body["verdict"] = n % 10 == 0 ? "deny" : "allow";
  body["identity"] = boost::json::object{
      {"principal", "Agent::\"agent-" + std::to_string(thread) + "\""},
      {"user", "User::\"alice@example.com\""},
      {"spiffe_id", "spiffe://example.org/agent/agent-" + std::to_string(thread)},
      {"token_id", "tok-" + std::to_string(n)}};
  body["request"] = boost::json::object{
      {"action", "Action::\"tools/call:send_email\""},
      {"resource", "Tool::\"send_email\""},
      {"context", boost::json::object{{"input", std::string(560, 'a' + n % 26)}}}};
  body["policy_set_hash"] = std::string(64, 'c');
  body["entities_hash"] = std::string(64, 'e');
  body["latency_us"] = 42;
  return writ::ledger::MakeEntry(writ::ledger::RecordKind::kDecision, body).value();
}

struct AppendResult {
  double per_second = 0;
  double mean_batch = 0;
  uint64_t records = 0;
};

AppendResult RunAppends(writ::ledger::Ledger& ledger, int writers, double seconds) {
  std::vector<std::vector<writ::ledger::LedgerEntry>> pools(static_cast<size_t>(writers));
  for (int t = 0; t < writers; ++t) {
    for (int n = 0; n < 64; ++n) pools[static_cast<size_t>(t)].push_back(Entry(t, n));
  }
  auto before = ledger.Stats();
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> done{0};
  std::vector<std::thread> threads;
  auto start = Clock::now();
  for (int t = 0; t < writers; ++t) {
    threads.emplace_back([&, t] {
      const auto& pool = pools[static_cast<size_t>(t)];
      for (size_t n = 0; !stop.load(std::memory_order_relaxed); ++n) {
        auto r = ledger.Append(pool[n % pool.size()]);
        if (!r.ok()) {
          std::fprintf(stderr, "append failed: %s\n", r.status().ToString().c_str());
          std::exit(1);
        }
        done.fetch_add(1, std::memory_order_relaxed);
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  stop = true;
  for (auto& th : threads) th.join();
  auto end = Clock::now();
  auto after = ledger.Stats();
  AppendResult r;
  r.records = done.load();
  r.per_second = static_cast<double>(r.records) / Seconds(start, end);
  r.mean_batch = static_cast<double>(after.appended - before.appended) /
                 static_cast<double>(std::max<uint64_t>(1, after.batches - before.batches));
  return r;
}

// The peer: the same record bytes inserted into a plain table, same pragmas, transactions of
// `batch` rows, one writer thread (the best case for SQLite).
double BareSqlite(const std::string& path, const std::vector<std::string>& records, size_t batch,
                  double seconds) {
  std::filesystem::remove(path);
  std::filesystem::remove(path + "-wal");
  std::filesystem::remove(path + "-shm");
  sqlite3* db = nullptr;
  sqlite3_open(path.c_str(), &db);
  sqlite3_exec(db,
               "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA wal_autocheckpoint=4000;"
               "CREATE TABLE t(id INTEGER PRIMARY KEY, body BLOB NOT NULL);",
               nullptr, nullptr, nullptr);
  sqlite3_stmt* ins = nullptr;
  sqlite3_prepare_v2(db, "INSERT INTO t(body) VALUES(?)", -1, &ins, nullptr);
  uint64_t n = 0;
  auto start = Clock::now();
  auto deadline = start + std::chrono::duration<double>(seconds);
  while (Clock::now() < deadline) {
    sqlite3_exec(db, "BEGIN", nullptr, nullptr, nullptr);
    for (size_t k = 0; k < batch; ++k, ++n) {
      const std::string& r = records[n % records.size()];
      sqlite3_bind_blob(ins, 1, r.data(), static_cast<int>(r.size()), SQLITE_STATIC);
      sqlite3_step(ins);
      sqlite3_reset(ins);
    }
    if (sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr) != SQLITE_OK) {
      std::fprintf(stderr, "bare sqlite commit failed: %s\n", sqlite3_errmsg(db));
      std::exit(1);
    }
  }
  auto end = Clock::now();
  sqlite3_finalize(ins);
  sqlite3_close(db);
  return static_cast<double>(n) / Seconds(start, end);
}

}  // namespace

int main(int argc, char** argv) {
  std::string dir = (std::filesystem::temp_directory_path() / "writ-ledger-bench").string();
  double seconds = 3;
  uint64_t grow = 1000000;
  bool verify_only = false;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--verify-only")) verify_only = true;
  }
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--dir")) dir = argv[i + 1];
    if (!std::strcmp(argv[i], "--seconds")) seconds = std::atof(argv[i + 1]);
    if (!std::strcmp(argv[i], "--grow")) grow = std::strtoull(argv[i + 1], nullptr, 10);
  }
  if (!verify_only) {
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
  }
  writ::store::SqliteOptions so;
  so.data_dir = dir + "/ledger";
  auto store = writ::store::OpenSqliteStore(so).value();
  const std::string origin = "writ.bench/ledger";
  auto signer = writ::ledger::LoadOrCreateFileNoteSigner(dir + "/ledger.key", origin).value();
  writ::SystemClock clock;
  writ::ledger::LedgerOptions lo;
  lo.origin = origin;
  if (verify_only) {
    // Verify an existing ledger (left by --keep) only: for profiling.
    writ::ledger::VerifyOptions vo;
    vo.origin = origin;
    auto t0 = Clock::now();
    auto report = writ::ledger::VerifyLedger(store->ledger(), vo);
    double vs = Seconds(t0, Clock::now());
    std::printf("verify: %llu records in %.2f s = %.0f rec/s (%s)\n",
                static_cast<unsigned long long>(report->records), vs,
                static_cast<double>(report->records) / vs, report->ok() ? "clean" : "PROBLEM");
    return 0;
  }
  auto ledger = writ::ledger::Ledger::Open(store->ledger(), *signer, clock, lo).value();

  std::string sample = writ::ledger::EncodeRecord(Entry(0, 0), origin, 123456, writ::Digest{}, 0);
  std::printf("record size: %zu bytes (canonical JSON leaf)\n\n", sample.size());
  std::printf("%-8s %16s %12s %20s %8s\n", "writers", "ledger rec/s", "mean batch",
              "bare sqlite rec/s", "ratio");
  std::vector<std::string> peer_records;
  for (int n = 0; n < 64; ++n) {
    peer_records.push_back(writ::ledger::EncodeRecord(Entry(0, n), origin, static_cast<uint64_t>(n),
                                                      writ::Digest{}, 0));
  }
  long rss_start = RssKb();
  for (int writers : {1, 8, 64}) {
    AppendResult r = RunAppends(*ledger, writers, seconds);
    size_t batch = static_cast<size_t>(r.mean_batch + 0.5);
    double bare = BareSqlite(dir + "/bare.db", peer_records, std::max<size_t>(1, batch), seconds);
    std::printf("%-8d %16.0f %12.1f %20.0f %7.0f%%\n", writers, r.per_second, r.mean_batch, bare,
                100.0 * r.per_second / bare);
    std::fflush(stdout);
  }

  // Grow the ledger (batched appends) and watch resident memory.
  uint64_t have = ledger->TreeSize();
  long rss_before = RssKb();
  std::vector<writ::ledger::LedgerEntry> chunk;
  for (int n = 0; n < 1000; ++n) chunk.push_back(Entry(1, n));
  auto grow_start = Clock::now();
  uint64_t target = std::max(have, grow);
  while (ledger->TreeSize() < target) {
    auto r = ledger->AppendBatch(chunk);
    if (!r.ok()) {
      std::fprintf(stderr, "%s\n", r.status().ToString().c_str());
      return 1;
    }
  }
  double grow_s = Seconds(grow_start, Clock::now());
  long rss_after = RssKb();
  (void)ledger->Close();
  uint64_t size = ledger->TreeSize();
  std::printf("\ngrow: %llu -> %llu records in %.1f s (AppendBatch of 1000)\n",
              static_cast<unsigned long long>(have), static_cast<unsigned long long>(size), grow_s);
  std::printf("RSS: %ld KB at start, %ld KB before growing, %ld KB after growing\n", rss_start,
              rss_before, rss_after);

  writ::ledger::VerifyOptions vo;
  vo.origin = origin;
  vo.key = writ::ledger::ParseVerifierKey(
               writ::ledger::FormatVerifierKey(signer->name(), signer->public_key()))
               .value();
  auto vstart = Clock::now();
  auto report = writ::ledger::VerifyLedger(store->ledger(), vo);
  double vs = Seconds(vstart, Clock::now());
  if (!report.ok() || !report->ok()) {
    std::fprintf(stderr, "verify failed\n");
    return 1;
  }
  std::printf(
      "verify: %llu records, %llu checkpoints, %llu subtree hashes in %.2f s = %.0f rec/s\n",
      static_cast<unsigned long long>(report->records),
      static_cast<unsigned long long>(report->checkpoints),
      static_cast<unsigned long long>(report->nodes), vs,
      static_cast<double>(report->records) / vs);
  std::printf("RSS after verify: %ld KB\n", RssKb());
  ledger.reset();
  store.reset();
  bool keep = false;
  for (int i = 1; i < argc; ++i) keep = keep || !std::strcmp(argv[i], "--keep");
  if (!keep) std::filesystem::remove_all(dir);
  return 0;
}
