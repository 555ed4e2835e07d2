// Tests only: while a FailingRandomGenerator lives, OpenSSL's random generator fails (through
// RAND_set_rand_method, which OpenSSL 3 keeps for compatibility), so that a test can show that a
// path refuses rather than goes on without its random bits. Not thread-safe: the generator is
// the process's.
#pragma once

#include <openssl/rand.h>

namespace writ::testutil {

class FailingRandomGenerator {
 public:
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
  FailingRandomGenerator() : before_(RAND_get_rand_method()) {
    installed_ = before_ != nullptr && RAND_set_rand_method(&kFailing) == 1;
  }
  ~FailingRandomGenerator() {
    if (installed_) RAND_set_rand_method(before_);
  }
#pragma GCC diagnostic pop
  FailingRandomGenerator(const FailingRandomGenerator&) = delete;
  FailingRandomGenerator& operator=(const FailingRandomGenerator&) = delete;

  // False when the failing generator could not be put in place (the test cannot run).
  bool installed() const {
    return installed_;
  }

 private:
  static int Fail(unsigned char*, int) {
    return 0;
  }
  static int NotSeeded() {
    return 0;
  }
  static constexpr RAND_METHOD kFailing = {nullptr, &Fail, nullptr, nullptr, &Fail, &NotSeeded};

  const RAND_METHOD* before_;
  bool installed_ = false;
};

}  // namespace writ::testutil
