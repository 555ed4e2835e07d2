// Keeps the current policy bundle, reloading it when its directory changes.
//
// A change (any file added, removed, resized or touched) is picked up by polling; once the
// directory has been still for one poll interval the bundle is loaded again. A bundle that
// does not load is rejected whole — the last good one keeps serving — and the rejection is
// counted and its message kept. Each accepted load calls `on_loaded` (the service stores the
// content-addressed blobs and records the load in the ledger).
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
  uint64_t loads = 0;     // accepted loads, the first one included
  uint64_t rejected = 0;  // loads refused (the previous bundle kept serving)
  std::string last_error;
  int64_t last_change_us = 0;
};

class BundleWatcher final : public BundleSource {
 public:
  using OnLoaded = std::function<void(const Bundle& bundle, const Bundle* previous)>;

  BundleWatcher(std::filesystem::path dir, BundleOptions options, OnLoaded on_loaded);
  ~BundleWatcher() override;

  // Loads the bundle now; an error leaves the current bundle (if any) in place.
  Status Reload();
  // Starts polling every `interval_ms`.
  void Start(int64_t interval_ms);
  void Stop();

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
  std::string seen_;  // the directory's fingerprint at the last load attempt
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace writ::authz
