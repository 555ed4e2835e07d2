// A monotonic allocator for immutable Cedar data.
//
// Values, entities and policy syntax trees do not own their payloads one by one: every string,
// set, record and node lives in the Arena of the object that holds them (an EntityStore, a
// PolicySet, a Request, or one evaluation). Nothing is freed until the arena is destroyed or
// reset, which makes building and sharing immutable data cheap and keeps the evaluator's hot
// path free of malloc. An Arena is not thread-safe; the immutable data it holds may be read
// from any number of threads.
#pragma once

#include <cstddef>
#include <cstring>
#include <memory>
#include <new>
#include <span>
#include <string_view>
#include <type_traits>
#include <vector>

namespace cedar {

class Arena {
 public:
  // `initial` is an optional caller-owned buffer (for example on the stack) used before any
  // heap block is allocated.
  explicit Arena(std::span<std::byte> initial = {}) : Arena(initial, kFirstBlock) {}
  // `first_block` sizes the first heap block; later blocks double up to 1 MiB.
  Arena(std::span<std::byte> initial, size_t first_block)
      : cur_(initial.data()),
        end_(cur_ + initial.size()),
        initial_(initial),
        first_block_(first_block),
        next_block_size_(first_block) {}
  Arena(const Arena&) = delete;
  Arena& operator=(const Arena&) = delete;
  Arena(Arena&&) = default;
  Arena& operator=(Arena&&) = default;

  void* Allocate(size_t size, size_t align) {
    auto p = reinterpret_cast<uintptr_t>(cur_);
    uintptr_t aligned = (p + align - 1) & ~(uintptr_t(align) - 1);
    if (cur_ != nullptr && aligned + size <= reinterpret_cast<uintptr_t>(end_)) {
      cur_ = reinterpret_cast<std::byte*>(aligned + size);
      return reinterpret_cast<void*>(aligned);
    }
    return AllocateSlow(size, align);
  }

  // Constructs a T in the arena. T must be trivially destructible: the arena never runs
  // destructors.
  template <typename T, typename... Args>
  T* New(Args&&... args) {
    static_assert(std::is_trivially_destructible_v<T>, "arena objects are never destroyed");
    return new (Allocate(sizeof(T), alignof(T))) T{std::forward<Args>(args)...};
  }

  template <typename T>
  T* NewArray(size_t n) {
    static_assert(std::is_trivially_destructible_v<T>, "arena objects are never destroyed");
    if (n == 0) return nullptr;
    T* p = static_cast<T*>(Allocate(sizeof(T) * n, alignof(T)));
    for (size_t i = 0; i < n; ++i) new (p + i) T();
    return p;
  }

  template <typename T>
  std::span<const T> CopyArray(std::span<const T> src) {
    if (src.empty()) return {};
    T* p = static_cast<T*>(Allocate(sizeof(T) * src.size(), alignof(T)));
    std::memcpy(static_cast<void*>(p), src.data(), sizeof(T) * src.size());
    return {p, src.size()};
  }

  std::string_view CopyString(std::string_view s) {
    if (s.empty()) return {};
    char* p = static_cast<char*>(Allocate(s.size(), 1));
    std::memcpy(p, s.data(), s.size());
    return {p, s.size()};
  }

  // Frees the arena's contents. With an initial buffer, every heap block is freed; without
  // one, the largest block is kept for reuse, so an arena reset per request stops calling
  // malloc once it has grown to fit.
  void Reset() {
    if (initial_.empty() && !blocks_.empty()) {
      std::unique_ptr<std::byte[]> keep = std::move(blocks_.back());
      size_t keep_size = last_block_size_;
      blocks_.clear();
      blocks_.push_back(std::move(keep));
      reserved_ = keep_size;
      cur_ = blocks_.back().get();
      end_ = cur_ + keep_size;
      return;
    }
    blocks_.clear();
    reserved_ = 0;
    next_block_size_ = first_block_;
    cur_ = initial_.data();
    end_ = cur_ + initial_.size();
  }

  size_t BytesReserved() const { return reserved_; }

 private:
  static constexpr size_t kFirstBlock = 4096;
  void* AllocateSlow(size_t size, size_t align);

  std::byte* cur_ = nullptr;
  std::byte* end_ = nullptr;
  std::span<std::byte> initial_;
  std::vector<std::unique_ptr<std::byte[]>> blocks_;
  size_t first_block_ = kFirstBlock;
  size_t next_block_size_ = kFirstBlock;
  size_t last_block_size_ = 0;
  size_t reserved_ = 0;
};

inline void* Arena::AllocateSlow(size_t size, size_t align) {
  size_t need = size + align;
  size_t block = next_block_size_;
  if (block < need) block = need;
  if (next_block_size_ < (size_t{1} << 20)) next_block_size_ *= 2;
  blocks_.push_back(std::make_unique_for_overwrite<std::byte[]>(block));
  last_block_size_ = block;
  reserved_ += block;
  cur_ = blocks_.back().get();
  end_ = cur_ + block;
  auto p = reinterpret_cast<uintptr_t>(cur_);
  uintptr_t aligned = (p + align - 1) & ~(uintptr_t(align) - 1);
  cur_ = reinterpret_cast<std::byte*>(aligned + size);
  return reinterpret_cast<void*>(aligned);
}

}  // namespace cedar
