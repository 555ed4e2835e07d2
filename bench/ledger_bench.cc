// Ledger benchmark, with its peer measured in the same run:
//   - durable appends of records of about 1 KB by 1, 8 and 64 writers that each wait for their
//     append (Ledger::Append), by 64 writers that each wait for their append as connections of
//     Writ's server do: on two event loops, each acknowledgement posted to its writer's loop,
//     which then appends the writer's next record (Ledger::AppendAsync), the same with 16
//     appends in flight per writer, and by 64 writers that
//     each keep up to K appends in flight (Ledger::AppendAsync, K = 16 and 32; a writer tops up
//     to K when half were acknowledged);
//   - beside each, a bare SQLite insert of the same bytes into a one-column table with the same
//     durability (WAL, synchronous=FULL: every transaction synced), the same page size, one
//     thread, transactions of the mean batch size the ledger reached;
//   - resident memory while the ledger grows by --grow more records (after the rows above, which
//     leave it at over a million), then VerifyLedger over it.
// Decision ids are UUIDv7-shaped, as Writ's are: the millisecond of the append, then a counter;
// tasks and principals repeat (97 tasks, one principal per writer).
//
// usage: ledger_bench [--dir DIR] [--seconds S] [--grow N] [--page-size BYTES] [--inline N]
//                     [--phases sync,loops,async,grow,verify] [--no-peer] [--keep]
//                     [--verify-only]
// --inline N sets LedgerOptions::inline_when_idle_records (for measurements).
#include <sqlite3.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/json.hpp>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>
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

// CPU time of the whole process (all threads), user and system.
double ProcessCpuSeconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

// CPU seconds used so far by this process's threads, summed by thread name
// (/proc/self/task/*/stat: user + system clock ticks).
std::map<std::string, double> ThreadCpuSeconds() {
  std::map<std::string, double> out;
  double tick = static_cast<double>(sysconf(_SC_CLK_TCK));
  for (const auto& t : std::filesystem::directory_iterator("/proc/self/task")) {
    std::ifstream in(t.path() / "stat");
    std::string stat;
    std::getline(in, stat);
    size_t open = stat.find('('), close = stat.rfind(')');
    if (open == std::string::npos || close == std::string::npos) continue;
    std::string name = stat.substr(open + 1, close - open - 1);
    std::istringstream rest(stat.substr(close + 2));
    std::string field;
    double utime = 0, stime = 0;
    for (int i = 3; i <= 15 && rest >> field; ++i) {
      if (i == 14) utime = std::atof(field.c_str());
      if (i == 15) stime = std::atof(field.c_str());
    }
    out[name] += (utime + stime) / tick;
  }
  return out;
}

std::string LoadAverage() {
  std::ifstream in("/proc/loadavg");
  std::string a, b, c;
  in >> a >> b >> c;
  return a + " " + b + " " + c;
}

// The placeholder id of the templates: its first occurrence in a canonical body is the id
// ("decision_id" is the body's first member in canonical order).
constexpr char kIdTemplate[] = "00000000-0000-7000-8000-000000000000";
constexpr size_t kIdSize = sizeof kIdTemplate - 1;

// A UUIDv7-shaped id: 48 bits of Unix milliseconds, version 7, the variant bits, and `n` in the
// other 74 bits (unique per run).
std::string DecisionId(uint64_t n) {
  auto ms = static_cast<unsigned long long>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                                std::chrono::system_clock::now().time_since_epoch())
                                                .count());
  char id[kIdSize + 1];
  std::snprintf(id, sizeof id, "%08llx-%04llx-7%03llx-%04llx-%012llx", (ms >> 16) & 0xffffffffULL,
                ms & 0xffffULL, static_cast<unsigned long long>((n >> 62) & 0x3),
                0x8000ULL | static_cast<unsigned long long>((n >> 48) & 0x3fff),
                static_cast<unsigned long long>(n & 0xffffffffffffULL));
  return std::string(id, kIdSize);
}

// Decision-shaped entries of about 1 KB for one writer, each with a new decision id: a template
// is encoded once and its id digits overwritten for every append.
class EntryMaker {
 public:
  explicit EntryMaker(int writer) {
    for (int n = 0; n < 26; ++n) templates_.push_back(Make(writer, n));
    body_at_ = templates_[0].body.find(kIdTemplate);
  }
  writ::ledger::LedgerEntry Next(uint64_t id) {
    writ::ledger::LedgerEntry e = templates_[count_++ % templates_.size()];
    std::string decision = DecisionId(id);
    std::memcpy(e.body.data() + body_at_, decision.data(), kIdSize);
    e.decision_id = decision;
    return e;
  }

 private:
  static writ::ledger::LedgerEntry Make(int writer, int n) {
    boost::json::object body;
    body["decision_id"] = kIdTemplate;
    body["task_id"] = "task-" + std::to_string((writer * 31 + n) % 97);
    body["verdict"] = n % 10 == 0 ? "deny" : "allow";
    body["identity"] = boost::json::object{
        {"principal", "Agent::\"agent-" + std::to_string(writer) + "\""},
        {"user", "User::\"alice@example.com\""},
        {"spiffe_id", "spiffe://example.org/agent/agent-" + std::to_string(writer)},
        {"token_id", "tok-" + std::to_string(writer) + "-" + std::to_string(n)}};
    body["request"] = boost::json::object{
        {"action", "Action::\"tools/call:send_email\""},
        {"resource", "Tool::\"send_email\""},
        {"context", boost::json::object{{"input", std::string(560, 'a' + n % 26)}}}};
    body["policy_set_hash"] = std::string(64, 'c');
    body["entities_hash"] = std::string(64, 'e');
    body["latency_us"] = 42;
    return writ::ledger::MakeEntry(writ::ledger::RecordKind::kDecision, body).value();
  }

  std::vector<writ::ledger::LedgerEntry> templates_;
  size_t body_at_ = 0;
  size_t count_ = 0;
};

struct AppendResult {
  double per_second = 0;
  double mean_batch = 0;
  double syncs_per_second = 0;
  double p50_ms = 0, p99_ms = 0;                // time from the append call to its acknowledgement
  double cpu_us = 0;                            // process CPU time per record (all threads)
  std::map<std::string, double> thread_cpu_us;  // per record, by thread name
  uint64_t records = 0;
  long rss_kb = 0;
};

double Percentile(std::vector<double>& v, double p) {
  if (v.empty()) return 0;
  size_t k = std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())));
  std::nth_element(v.begin(), v.begin() + static_cast<long>(k), v.end());
  return v[k];
}

// What a row measures around its appends: the ledger's counters, wall and CPU time, and the
// acknowledged records with their sampled latencies.
class RowMeasure {
 public:
  explicit RowMeasure(writ::ledger::Ledger& ledger)
      : ledger_(ledger),
        before_(ledger.Stats()),
        start_(Clock::now()),
        cpu_start_(ProcessCpuSeconds()),
        threads_start_(ThreadCpuSeconds()) {}

  // Once the row's appends are all acknowledged: `acked` and `latencies_ms` of each writer.
  template <typename Writers>
  AppendResult Finish(const Writers& ws) {
    auto end = Clock::now();
    double cpu = ProcessCpuSeconds() - cpu_start_;
    auto threads_end = ThreadCpuSeconds();  // threads that exited (the writers) are not listed
    auto after = ledger_.Stats();
    AppendResult r;
    std::vector<double> lat;
    for (const auto& w : ws) {
      r.records += w->acked;
      lat.insert(lat.end(), w->latencies_ms.begin(), w->latencies_ms.end());
    }
    double s = Seconds(start_, end);
    double records = static_cast<double>(std::max<uint64_t>(1, r.records));
    r.per_second = static_cast<double>(r.records) / s;
    r.mean_batch = static_cast<double>(after.appended - before_.appended) /
                   static_cast<double>(std::max<uint64_t>(1, after.batches - before_.batches));
    r.syncs_per_second = static_cast<double>(after.syncs - before_.syncs) / s;
    r.p50_ms = Percentile(lat, 0.50);
    r.p99_ms = Percentile(lat, 0.99);
    r.cpu_us = cpu / records * 1e6;
    for (const auto& [name, sec] : threads_end) {
      double before_sec = threads_start_.count(name) ? threads_start_.at(name) : 0;
      r.thread_cpu_us[name] = (sec - before_sec) / records * 1e6;
    }
    r.rss_kb = RssKb();
    return r;
  }

 private:
  writ::ledger::Ledger& ledger_;
  writ::ledger::LedgerStats before_;
  Clock::time_point start_;
  double cpu_start_;
  std::map<std::string, double> threads_start_;
};

// `writers` threads; each keeps `in_flight` appends outstanding (AppendAsync), or, when
// in_flight is 0, calls the blocking Append in a loop.
AppendResult RunAppends(writ::ledger::Ledger& ledger, int writers, int in_flight, double seconds,
                        std::atomic<uint64_t>* next_id) {
  struct Writer {
    std::mutex mu;
    std::condition_variable cv;
    int outstanding = 0;
    uint64_t acked = 0;
    std::vector<double> latencies_ms;  // one sample in 16
  };
  std::vector<std::unique_ptr<Writer>> ws;
  std::vector<EntryMaker> makers;
  for (int t = 0; t < writers; ++t) {
    ws.push_back(std::make_unique<Writer>());
    makers.emplace_back(t);
  }
  std::atomic<bool> stop{false};
  std::vector<std::thread> threads;
  RowMeasure measure(ledger);
  for (int t = 0; t < writers; ++t) {
    threads.emplace_back([&, t] {
      Writer& w = *ws[static_cast<size_t>(t)];
      EntryMaker& maker = makers[static_cast<size_t>(t)];
      for (uint64_t n = 0; !stop.load(std::memory_order_relaxed); ++n) {
        auto entry = maker.Next(next_id->fetch_add(1, std::memory_order_relaxed));
        auto t0 = Clock::now();
        bool sample = n % 16 == 0;
        if (in_flight == 0) {
          auto r = ledger.Append(std::move(entry));
          if (!r.ok()) {
            std::fprintf(stderr, "append failed: %s\n", r.status().ToString().c_str());
            std::exit(1);
          }
          if (sample) w.latencies_ms.push_back(Seconds(t0, Clock::now()) * 1e3);
          ++w.acked;
          continue;
        }
        {
          // Tops up to `in_flight` once half of them were acknowledged (one wake-up per
          // in_flight / 2 appends rather than one per append).
          std::unique_lock<std::mutex> lock(w.mu);
          if (w.outstanding >= in_flight) {
            w.cv.wait(lock, [&] { return w.outstanding <= in_flight / 2; });
          }
          ++w.outstanding;
        }
        auto s = ledger.AppendAsync(std::move(entry), [&w, t0, sample, in_flight](auto r) {
          if (!r.ok()) {
            std::fprintf(stderr, "append failed: %s\n", r.status().ToString().c_str());
            std::exit(1);
          }
          double ms = Seconds(t0, Clock::now()) * 1e3;
          std::lock_guard<std::mutex> lock(w.mu);
          if (sample) w.latencies_ms.push_back(ms);
          ++w.acked;
          --w.outstanding;
          if (w.outstanding == in_flight / 2 || w.outstanding == 0) w.cv.notify_one();
        });
        if (!s.ok()) {
          std::fprintf(stderr, "append refused: %s\n", s.ToString().c_str());
          std::exit(1);
        }
      }
      std::unique_lock<std::mutex> lock(w.mu);
      w.cv.wait(lock, [&] { return w.outstanding == 0; });
    });
  }
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  stop = true;
  for (auto& th : threads) th.join();
  return measure.Finish(ws);
}

// `writers` appenders that each wait for their append before making the next, on `loops` event
// loops (an io_context and a thread each), as the connections of Writ's server wait for their
// decision's record: the ledger's callback posts the acknowledgement to the writer's loop
// (src/server/server.cc does the same with a decision's completion), and the loop records it
// and appends the writer's next record. A blocked writer is a queued callback here, not a
// sleeping thread, so an acknowledgement costs a post rather than a thread wake-up.
AppendResult RunLoopAppends(writ::ledger::Ledger& ledger, int writers, int in_flight, int loops,
                            double seconds, std::atomic<uint64_t>* next_id) {
  namespace asio = boost::asio;
  struct Writer {
    explicit Writer(int t, asio::io_context& c) : maker(t), loop(&c) {}
    EntryMaker maker;
    asio::io_context* loop;
    uint64_t n = 0, acked = 0;
    std::vector<double> latencies_ms;  // one sample in 16
  };
  std::vector<std::unique_ptr<asio::io_context>> contexts;
  using Guard = asio::executor_work_guard<asio::io_context::executor_type>;
  std::vector<std::unique_ptr<Guard>> guards;
  for (int l = 0; l < loops; ++l) {
    contexts.push_back(std::make_unique<asio::io_context>(1));
    guards.push_back(std::make_unique<Guard>(contexts.back()->get_executor()));
  }
  std::vector<std::unique_ptr<Writer>> ws;
  for (int t = 0; t < writers; ++t) {
    ws.push_back(std::make_unique<Writer>(t, *contexts[static_cast<size_t>(t % loops)]));
  }
  std::atomic<bool> stop{false};
  std::atomic<int> active{writers * in_flight};
  std::mutex done_mu;
  std::condition_variable done_cv;
  // Runs on the writer's loop: appends its next record, or retires it once the run is over.
  std::function<void(Writer&)> step = [&](Writer& w) {
    if (stop.load(std::memory_order_relaxed)) {
      if (active.fetch_sub(1) == 1) {
        std::lock_guard<std::mutex> lock(done_mu);
        done_cv.notify_one();
      }
      return;
    }
    auto entry = w.maker.Next(next_id->fetch_add(1, std::memory_order_relaxed));
    auto t0 = Clock::now();
    bool sample = w.n++ % 16 == 0;
    auto s = ledger.AppendAsync(std::move(entry), [&step, &w, t0, sample](auto r) {
      if (!r.ok()) {
        std::fprintf(stderr, "append failed: %s\n", r.status().ToString().c_str());
        std::exit(1);
      }
      asio::post(*w.loop, [&step, &w, t0, sample] {
        if (sample) w.latencies_ms.push_back(Seconds(t0, Clock::now()) * 1e3);
        ++w.acked;
        step(w);
      });
    });
    if (!s.ok()) {
      std::fprintf(stderr, "append refused: %s\n", s.ToString().c_str());
      std::exit(1);
    }
  };
  RowMeasure measure(ledger);
  for (auto& w : ws) {
    for (int k = 0; k < in_flight; ++k) asio::post(*w->loop, [&step, wp = w.get()] { step(*wp); });
  }
  std::vector<std::thread> threads;
  for (auto& c : contexts) threads.emplace_back([ctx = c.get()] { ctx->run(); });
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  stop = true;
  {
    std::unique_lock<std::mutex> lock(done_mu);
    done_cv.wait(lock, [&] { return active.load() == 0; });
  }
  guards.clear();
  for (auto& th : threads) th.join();
  return measure.Finish(ws);
}

// The peer: the same record bytes inserted into a plain table, same durability
// (synchronous=FULL, each transaction synced), same page size, transactions of `batch` rows,
// one writer thread (the best case for SQLite).
double BareSqlite(const std::string& path, const std::vector<std::string>& records, size_t batch,
                  int page_size, double seconds) {
  std::filesystem::remove(path);
  std::filesystem::remove(path + "-wal");
  std::filesystem::remove(path + "-shm");
  sqlite3* db = nullptr;
  sqlite3_open(path.c_str(), &db);
  std::string setup = "PRAGMA page_size=" + std::to_string(page_size) +
                      "; PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
                      "CREATE TABLE t(id INTEGER PRIMARY KEY, body BLOB NOT NULL);";
  sqlite3_exec(db, setup.c_str(), nullptr, nullptr, nullptr);
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
  std::filesystem::remove(path);
  std::filesystem::remove(path + "-wal");
  std::filesystem::remove(path + "-shm");
  return static_cast<double>(n) / Seconds(start, end);
}

}  // namespace

int main(int argc, char** argv) {
  std::string dir = (std::filesystem::temp_directory_path() / "writ-ledger-bench").string();
  double seconds = 5;
  uint64_t grow = 1000000;
  int page_size = writ::store::SqliteOptions().page_size;
  std::string phases = "sync,loops,async,grow,verify";
  bool verify_only = false, keep = false, peer = true;
  size_t inline_records = writ::ledger::LedgerOptions().inline_when_idle_records;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    bool has_value = i + 1 < argc;
    if (a == "--verify-only") {
      verify_only = true;
    } else if (a == "--keep") {
      keep = true;
    } else if (a == "--no-peer") {
      peer = false;
    } else if (a == "--dir" && has_value) {
      dir = argv[++i];
    } else if (a == "--seconds" && has_value) {
      seconds = std::atof(argv[++i]);
    } else if (a == "--grow" && has_value) {
      grow = std::strtoull(argv[++i], nullptr, 10);
    } else if (a == "--page-size" && has_value) {
      page_size = std::atoi(argv[++i]);
    } else if (a == "--inline" && has_value) {
      inline_records = std::strtoull(argv[++i], nullptr, 10);
    } else if (a == "--phases" && has_value) {
      phases = argv[++i];
    } else {
      std::fprintf(stderr, "unknown argument %s\n", a.c_str());
      return 2;
    }
  }
  auto phase = [&](const char* p) {
    return ("," + phases + ",").find(std::string(",") + p + ",") != std::string::npos;
  };
  if (!verify_only) {
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
  }
  writ::store::SqliteOptions so;
  so.data_dir = dir + "/ledger";
  so.page_size = page_size;
  so.read_only = verify_only;
  auto store = writ::store::OpenSqliteStore(so).value();
  const std::string origin = "writ.bench/ledger";
  std::printf("load average at start: %s\n", LoadAverage().c_str());
  if (verify_only) {
    // Verify an existing ledger (left by --keep) only, with its signing key as
    // `writ ledger verify` does (every checkpoint signature checked).
    writ::ledger::VerifyOptions vo;
    vo.origin = origin;
    if (!std::filesystem::exists(dir + "/ledger.key")) {
      std::fprintf(stderr, "no %s/ledger.key: run with --keep first\n", dir.c_str());
      return 1;
    }
    auto key = writ::ledger::LoadOrCreateFileNoteSigner(dir + "/ledger.key", origin);
    if (!key.ok()) {
      std::fprintf(stderr, "%s\n", key.status().ToString().c_str());
      return 1;
    }
    vo.key = (*key)->verifier_key();
    auto t0 = Clock::now();
    auto report = writ::ledger::VerifyLedger(store->ledger(), vo);
    double vs = Seconds(t0, Clock::now());
    if (!report.ok()) {
      std::fprintf(stderr, "%s\n", report.status().ToString().c_str());
      return 1;
    }
    std::printf("verify: %llu records in %.2f s = %.0f rec/s (%s); load average %s\n",
                static_cast<unsigned long long>(report->records), vs,
                static_cast<double>(report->records) / vs, report->ok() ? "clean" : "PROBLEM",
                LoadAverage().c_str());
    return 0;
  }
  auto signer = writ::ledger::LoadOrCreateFileNoteSigner(dir + "/ledger.key", origin).value();
  writ::SystemClock clock;
  writ::ledger::LedgerOptions lo;
  lo.origin = origin;
  lo.inline_when_idle_records = inline_records;
  auto ledger = writ::ledger::Ledger::Open(store->ledger(), *signer, clock, lo).value();
  std::atomic<uint64_t> next_id{1};

  std::string sample =
      writ::ledger::EncodeRecord(EntryMaker(0).Next(1), origin, 123456, writ::Digest{}, 0);
  std::printf("record size: %zu bytes (canonical JSON leaf); page size %d; %.0f s per row\n\n",
              sample.size(), page_size, seconds);
  std::vector<std::string> peer_records;
  {
    EntryMaker maker(0);
    for (int n = 0; n < 64; ++n) {
      peer_records.push_back(writ::ledger::EncodeRecord(maker.Next(static_cast<uint64_t>(n)),
                                                        origin, static_cast<uint64_t>(n),
                                                        writ::Digest{}, 0));
    }
  }
  long rss_start = RssKb();
  std::printf("%-8s %-9s %13s %10s %9s %9s %9s %8s %16s %7s %9s  %s\n", "writers", "in flight",
              "ledger rec/s", "mean batch", "syncs/s", "p50 ms", "p99 ms", "CPU us",
              "bare sqlite rec/s", "ratio", "RSS KB", "load average");
  struct Row {
    int writers, in_flight;
    int loops;  // > 0: the writers run on this many event loops (RunLoopAppends)
  };
  std::vector<Row> rows;
  if (phase("sync")) {
    for (int w : {1, 8, 64}) rows.push_back({w, 0, 0});
  }
  if (phase("loops")) {
    for (int k : {1, 16}) rows.push_back({64, k, 2});
  }
  if (phase("async")) {
    for (int k : {16, 32}) rows.push_back({64, k, 0});
  }
  for (const Row& row : rows) {
    AppendResult r =
        row.loops > 0
            ? RunLoopAppends(*ledger, row.writers, row.in_flight, row.loops, seconds, &next_id)
            : RunAppends(*ledger, row.writers, row.in_flight, seconds, &next_id);
    size_t batch = std::max<size_t>(1, static_cast<size_t>(r.mean_batch + 0.5));
    std::string load = LoadAverage();
    double bare = peer ? BareSqlite(dir + "/bare.db", peer_records, batch, page_size, seconds) : 0;
    // The ratio column says "-" when the peer did not run (--no-peer).
    char ratio[16] = "      -";
    if (bare > 0) std::snprintf(ratio, sizeof ratio, "%6.0f%%", 100.0 * r.per_second / bare);
    std::printf(
        "%-8d %-9s %13.0f %10.1f %9.1f %9.2f %9.2f %8.1f %16.0f %s %9ld  %s\n", row.writers,
        row.loops
            ? (std::to_string(row.in_flight) + " (" + std::to_string(row.loops) + " loops)").c_str()
        : row.in_flight ? std::to_string(row.in_flight).c_str()
                        : "1 (sync)",
        r.per_second, r.mean_batch, r.syncs_per_second, r.p50_ms, r.p99_ms, r.cpu_us, bare, ratio,
        r.rss_kb, load.c_str());
    double named = 0;
    std::printf("         CPU us per record by thread:");
    for (const char* name :
         {"ledger-prepare", "ledger-commit", "ledger-sync", "ledger-complete", "wal-checkpoint"}) {
      double us = r.thread_cpu_us.count(name) ? r.thread_cpu_us.at(name) : 0;
      named += us;
      std::printf(" %s %.1f,", name, us);
    }
    std::printf(" writers and the rest %.1f\n", r.cpu_us - named);
    std::fflush(stdout);
  }

  if (phase("grow")) {
    // Grow the ledger with 64 writers x 32 in flight and watch resident memory.
    uint64_t have = ledger->TreeSize();
    long rss_before = RssKb();
    auto grow_start = Clock::now();
    uint64_t grown = 0;
    std::vector<long> rss_samples;
    while (ledger->TreeSize() < have + grow) {
      AppendResult r = RunAppends(*ledger, 64, 32, 2.0, &next_id);
      grown += r.records;
      rss_samples.push_back(r.rss_kb);
    }
    double grow_s = Seconds(grow_start, Clock::now());
    std::printf(
        "\ngrow: %llu -> %llu records in %.1f s (%.0f rec/s, 64 writers x 32 in flight); "
        "load average %s\n",
        static_cast<unsigned long long>(have), static_cast<unsigned long long>(ledger->TreeSize()),
        grow_s, static_cast<double>(grown) / grow_s, LoadAverage().c_str());
    std::printf("RSS: %ld KB at start, %ld KB before growing, every 2 s while growing:", rss_start,
                rss_before);
    for (long kb : rss_samples) std::printf(" %ld", kb);
    std::printf("\n");
  }
  (void)ledger->Close();

  if (phase("verify")) {
    writ::ledger::VerifyOptions vo;
    vo.origin = origin;
    vo.key = signer->verifier_key();
    auto vstart = Clock::now();
    auto report = writ::ledger::VerifyLedger(store->ledger(), vo);
    double vs = Seconds(vstart, Clock::now());
    if (!report.ok() || !report->ok()) {
      std::fprintf(stderr, "verify failed\n");
      return 1;
    }
    std::printf(
        "verify: %llu records, %llu checkpoints, %llu subtree hashes in %.2f s = %.0f rec/s; "
        "load average %s\n",
        static_cast<unsigned long long>(report->records),
        static_cast<unsigned long long>(report->checkpoints),
        static_cast<unsigned long long>(report->nodes), vs,
        static_cast<double>(report->records) / vs, LoadAverage().c_str());
    std::printf("RSS after verify: %ld KB\n", RssKb());
  }
  ledger.reset();
  store.reset();
  if (!keep) std::filesystem::remove_all(dir);
  return 0;
}
