// A ledger writer for process-level tests: appends from several threads and prints one line
// "ack <seq> <decision id>" per acknowledged record, flushed as soon as it is acknowledged, so
// that a test killing it with SIGKILL knows exactly what was acknowledged. The first line is
// "ready", printed once the ledger is open. Even threads call the
// blocking Append; odd threads keep up to 16 AppendAsync calls in flight and print from the
// callback.
//
// usage: ledger_crash_writer DATA_DIR THREADS RUN_ID [MAX_RECORDS]
#include <unistd.h>

#include <atomic>
#include <boost/json.hpp>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "ledger/checkpoint.h"
#include "ledger/ledger.h"
#include "store/sqlite_store.h"

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: %s DATA_DIR THREADS RUN_ID [MAX_RECORDS]\n", argv[0]);
    return 1;
  }
  std::string dir = argv[1];
  int threads = std::atoi(argv[2]);
  std::string run = argv[3];
  long max_records = argc > 4 ? std::atol(argv[4]) : -1;
  writ::store::SqliteOptions so;
  so.data_dir = dir;
  auto store = writ::store::OpenSqliteStore(so);
  if (!store.ok()) {
    std::fprintf(stderr, "%s\n", store.status().ToString().c_str());
    return 2;
  }
  const std::string origin = "writ.test/crash";
  auto signer = writ::ledger::LoadOrCreateFileNoteSigner(dir + "/ledger.key", origin);
  if (!signer.ok()) {
    std::fprintf(stderr, "%s\n", signer.status().ToString().c_str());
    return 2;
  }
  writ::SystemClock clock;
  writ::ledger::LedgerOptions lo;
  lo.origin = origin;
  lo.checkpoint_every_records = 2000;
  lo.checkpoint_every_ms = 100;
  lo.outside_checkpoint_file = dir + "/checkpoints.jsonl";
  auto ledger = writ::ledger::Ledger::Open((*store)->ledger(), **signer, clock, lo);
  if (!ledger.ok()) {
    std::fprintf(stderr, "%s\n", ledger.status().ToString().c_str());
    return 2;
  }
  std::printf("ready\n");
  std::fflush(stdout);
  std::mutex out_mu;
  std::atomic<long> count{0};
  std::vector<std::thread> workers;
  auto report = [&](const writ::Result<writ::ledger::AppendReceipt>& r, const std::string& id) {
    std::lock_guard<std::mutex> lock(out_mu);
    if (r.ok()) {
      std::fprintf(stdout, "ack %llu %s\n", static_cast<unsigned long long>(r->seq), id.c_str());
    } else {
      std::fprintf(stdout, "fail %s\n", r.status().ToString().c_str());
    }
    std::fflush(stdout);
  };
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      constexpr int kInFlight = 16;
      std::mutex slots_mu;
      std::condition_variable slots_cv;
      int in_flight = 0;
      for (long n = 0;; ++n) {
        if (max_records >= 0 && count.fetch_add(1) >= max_records) break;
        std::string id = "r" + run + "-t" + std::to_string(t) + "-" + std::to_string(n);
        boost::json::object body;
        body["decision_id"] = id;
        body["verdict"] = "allow";
        body["padding"] = std::string(300, 'p');
        auto entry = writ::ledger::MakeEntry(writ::ledger::RecordKind::kDecision, body);
        if (t % 2 == 1) {
          {
            std::unique_lock<std::mutex> lock(slots_mu);
            slots_cv.wait(lock, [&] { return in_flight < kInFlight; });
            ++in_flight;
          }
          writ::Status s = (*ledger)->AppendAsync(
              std::move(entry).value(), [&, id](writ::Result<writ::ledger::AppendReceipt> r) {
                report(r, id);
                std::lock_guard<std::mutex> lock(slots_mu);
                --in_flight;
                slots_cv.notify_one();
              });
          if (!s.ok()) {
            report(s, id);
            std::lock_guard<std::mutex> lock(slots_mu);
            --in_flight;
          }
          continue;
        }
        report((*ledger)->Append(std::move(entry).value()), id);
      }
      std::unique_lock<std::mutex> lock(slots_mu);
      slots_cv.wait(lock, [&] { return in_flight == 0; });
    });
  }
  for (auto& w : workers) w.join();
  return 0;
}
