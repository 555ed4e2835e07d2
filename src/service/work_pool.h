// WorkPool: a few threads for the service's work that waits on the disk (a token issued and
// synced, a revocation, an approval decided, a checkpoint forced), so that the server's
// workers, which must not block, only hand such work over and answer later through the
// Responder.
//
// The queue is bounded: TrySubmit refuses beyond `max_queued` waiting items (the handler then
// answers 503 `overloaded`), so a burst cannot grow memory without end. Stop() lets queued work
// finish, then joins the threads; work submitted after Stop() is refused.
//
// Thread-safety: TrySubmit and queued() may be called from any thread; Stop() from one.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace writ::service {

class WorkPool {
 public:
  WorkPool(int threads, size_t max_queued);
  WorkPool(const WorkPool&) = delete;
  WorkPool& operator=(const WorkPool&) = delete;
  ~WorkPool();

  // Queues `work`; false (and `work` is dropped) when the queue is full or the pool stopped.
  bool TrySubmit(std::function<void()> work);
  // Runs what is queued, then joins the threads. Idempotent.
  void Stop();
  // Items waiting (not yet started).
  size_t queued() const;

 private:
  void Run();

  const size_t max_queued_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> queue_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace writ::service
