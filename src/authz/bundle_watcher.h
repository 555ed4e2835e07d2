// Keeps the current policy bundle, reloading it when its directory changes.
//
// A change (any file added, removed, resized or touched) is picked up by polling; once the
// directory has been still for one poll interval the bundle is loaded again. A bundle that
// does not load is rejected whole — the last good one keeps serving — and the rejection is
// counted and its message kept. Each accepted load calls `on_loaded` (the service stores the
// content-addressed blobs and records the load in the ledger) before the bundle becomes
// current. When `on_loaded` fails, the bundle is not adopted either (decisions must not name a
// bundle whose load was not recorded): the last adopted one stays current, the failure is
// counted (`unrecorded`) and kept as `last_error`, and the load is tried again at the next
// poll, whether or not the directory changed.
//
// Thread-safety: Current() may be called from any thread, at any time, concurrently with a
// reload; a caller keeps the bundle it got alive for as long as it holds the pointer.
#pragma once

#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "authz/bundle.h"
#include "authz/decision.h"

namespace writ::authz {

struct BundleWatcherStats {
  uint64_t loads = 0;       // accepted loads, the first one included
  uint64_t rejected = 0;    // loads refused (the previous bundle kept serving)
  uint64_t unrecorded = 0;  // good bundles not adopted because on_loaded failed (retried)
  std::string last_error;
  int64_t last_change_us = 0;
};

class BundleWatcher final : public BundleSource {
 public:
  // Called with each bundle about to become current (and the current one, if any); an error
  // keeps it from becoming current. Also called again for the current bundle after
  // RetryAtNextPoll().
  using OnLoaded = std::function<Status(const Bundle& bundle, const Bundle* previous)>;

  BundleWatcher(std::filesystem::path dir, BundleOptions options, OnLoaded on_loaded);
  ~BundleWatcher() override;

  // Loads the bundle now; an error leaves the current bundle (if any) in place:
  // invalid_argument or not_found for a bundle that does not load, unavailable (with on_loaded's
  // message) for one whose load could not be recorded.
  Status Reload();
  // Starts polling every `interval_ms`.
  void Start(int64_t interval_ms);
  void Stop();
  // Makes the next poll (or Reload) load the directory and call on_loaded even when nothing
  // changed: for a caller whose own use of the current bundle failed and must be tried again.
  // Safe to call from anywhere, on_loaded included.
  void RetryAtNextPoll() { retry_.store(true, std::memory_order_relaxed); }

  std::shared_ptr<const Bundle> Current() const override { return current_.load(); }
  BundleWatcherStats Stats() const;

 private:
  std::string Fingerprint() const;
  void Loop(int64_t interval_ms);

  std::filesystem::path dir_;
  BundleOptions options_;
  OnLoaded on_loaded_;
  std::atomic<std::shared_ptr<const Bundle>> current_;
  mutable std::mutex mu_;  // serialises reloads; guards stats_, stop_
  std::condition_variable cv_;
  BundleWatcherStats stats_;
  std::string seen_;                // the directory's fingerprint at the last load attempt
  std::atomic<bool> retry_{false};  // load and call on_loaded at the next poll, changed or not
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace writ::authz
