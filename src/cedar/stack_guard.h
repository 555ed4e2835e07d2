// StackGuard: how close the calling thread is to the end of its stack.
//
// Every walker that recurses over a policy's expression tree (parser, formatter, evaluator,
// validator) refuses input nested deeper than a fixed number of levels, but how much stack a
// level takes depends on the build (a sanitizer build's frames are several times larger) and
// on the thread (a worker's stack may be smaller than the main thread's). A StackGuard made at
// the start of a walk knows the lowest address the walk may reach while leaving a reserve free;
// a recursion checks Exhausted() at each level and fails cleanly instead of overflowing.
//
// Cost: the stack bounds of a thread are read once (pthread_getattr_np) and cached in a
// thread_local; a check is one comparison of a frame address.
#pragma once

#include <cstddef>
#include <cstdint>

namespace cedar {

class StackGuard {
 public:
  // Keeps `reserve` bytes of the calling thread's stack free.
  explicit StackGuard(size_t reserve = kDefaultReserve);

  // True when the caller's frame is within the reserve (or past it).
  bool Exhausted() const {
    return reinterpret_cast<uintptr_t>(__builtin_frame_address(0)) < limit_;
  }

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_UNDEFINED__)
  static constexpr size_t kDefaultReserve = 1024 * 1024;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
  static constexpr size_t kDefaultReserve = 1024 * 1024;
#else
  static constexpr size_t kDefaultReserve = 256 * 1024;
#endif
#else
  static constexpr size_t kDefaultReserve = 256 * 1024;
#endif

 private:
  uintptr_t limit_ = 0;
};

}  // namespace cedar
