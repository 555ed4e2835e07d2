#include "cedar/stack_guard.h"

#include <pthread.h>

namespace cedar {
namespace {

// The lowest address of the calling thread's stack (0 when it cannot be known, which turns
// the guard off rather than refusing everything).
uintptr_t StackLowEnd() {
  thread_local uintptr_t low = [] {
    pthread_attr_t attr;
    if (pthread_getattr_np(pthread_self(), &attr) != 0) return uintptr_t{0};
    void* addr = nullptr;
    size_t size = 0;
    int rc = pthread_attr_getstack(&attr, &addr, &size);
    pthread_attr_destroy(&attr);
    return rc == 0 ? reinterpret_cast<uintptr_t>(addr) : uintptr_t{0};
  }();
  return low;
}

}  // namespace

StackGuard::StackGuard(size_t reserve) {
  uintptr_t low = StackLowEnd();
  limit_ = low == 0 ? 0 : low + reserve;
}

}  // namespace cedar
