#include "authz/bundle_watcher.h"

#include <algorithm>
#include <vector>

#include "base/clock.h"

namespace writ::authz {

namespace fs = std::filesystem;

BundleWatcher::BundleWatcher(fs::path dir, BundleOptions options, OnLoaded on_loaded)
    : dir_(std::move(dir)), options_(std::move(options)), on_loaded_(std::move(on_loaded)) {}

BundleWatcher::~BundleWatcher() {
  Stop();
}

std::string BundleWatcher::Fingerprint() const {
  std::vector<std::string> parts;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir_, ec)) {
    std::error_code fec;
    auto size = e.is_regular_file(fec) ? e.file_size(fec) : 0;
    auto mtime = e.last_write_time(fec).time_since_epoch().count();
    parts.push_back(e.path().filename().string() + ":" + std::to_string(size) + ":" +
                    std::to_string(mtime));
  }
  std::sort(parts.begin(), parts.end());
  std::string out = ec ? "unreadable" : "";
  for (const auto& p : parts) out += p + "\n";
  return out;
}

Status BundleWatcher::Reload() {
  std::lock_guard<std::mutex> lock(mu_);
  // Taken before loading, so that a change made during the load is seen by the next poll.
  seen_ = Fingerprint();
  bool retry = retry_.exchange(false, std::memory_order_relaxed);
  auto loaded = LoadBundle(dir_, options_);
  if (!loaded.ok()) {
    // A bundle that does not load is not retried until the directory changes again.
    ++stats_.rejected;
    stats_.last_error = loaded.status().message();
    return loaded.status();
  }
  std::shared_ptr<const Bundle> previous = current_.load();
  bool same = previous && previous->policy_hash == (*loaded)->policy_hash &&
              previous->entities_hash == (*loaded)->entities_hash;
  if (same && !retry) return Status::Ok();
  if (on_loaded_) {
    Status recorded = on_loaded_(same ? *previous : **loaded, previous.get());
    if (!recorded.ok()) {
      ++stats_.unrecorded;
      stats_.last_error =
          "the bundle loaded but did not become current (tried again at the next poll): " +
          recorded.message();
      retry_.store(true, std::memory_order_relaxed);
      return Unavailable(stats_.last_error);
    }
  }
  stats_.last_error.clear();
  if (same) return Status::Ok();
  current_.store(*loaded);
  ++stats_.loads;
  stats_.last_change_us = SystemClock().NowMicros();
  return Status::Ok();
}

void BundleWatcher::Start(int64_t interval_ms) {
  std::lock_guard<std::mutex> lock(mu_);
  if (thread_.joinable()) return;
  stop_ = false;
  thread_ = std::thread([this, interval_ms] { Loop(interval_ms); });
}

void BundleWatcher::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void BundleWatcher::Loop(int64_t interval_ms) {
  std::string pending;  // a change waiting for the directory to be still
  while (true) {
    std::string seen;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait_for(lock, std::chrono::milliseconds(interval_ms), [this] { return stop_; });
      if (stop_) return;
      seen = seen_;
    }
    std::string now = Fingerprint();
    if (now == seen) {
      pending.clear();
      if (!retry_.load(std::memory_order_relaxed)) continue;
    } else if (now != pending) {  // still changing: wait for one quiet interval
      pending = now;
      continue;
    }
    pending.clear();
    // A rejected or unrecorded bundle is counted; the last good one keeps serving.
    (void)Reload();
  }
}

BundleWatcherStats BundleWatcher::Stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stats_;
}

}  // namespace writ::authz
