#include "base/aead.h"

#include <gtest/gtest.h>

#include "base/encoding.h"

namespace writ {
namespace {

TEST(AeadTest, SealOpenRoundTripWithFreshNonces) {
  std::string key(32, 'k');
  auto a = Aes256GcmSeal(key, "the secret", "row-1");
  auto b = Aes256GcmSeal(key, "the secret", "row-1");
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->size(), kAesGcmNonceSize + 10 + kAesGcmTagSize);
  EXPECT_NE(*a, *b);  // random nonce
  EXPECT_EQ(a->find("the secret"), std::string::npos);
  EXPECT_EQ(Aes256GcmOpen(key, *a, "row-1").value(), "the secret");
  EXPECT_EQ(Aes256GcmOpen(key, *b, "row-1").value(), "the secret");
}

TEST(AeadTest, NistGcmKnownAnswer) {
  // NIST GCM test vectors (gcmEncryptExtIV256), an all-zero key, nonce and 16-byte block.
  std::string key(32, '\0');
  std::string sealed = std::string(12, '\0') +
                       HexDecode("cea7403d4d606b6e074ec5d3baf39d18").value() +
                       HexDecode("d0d1c8a799996bf0265b98b5d48ab919").value();
  auto plain = Aes256GcmOpen(key, sealed, "");
  ASSERT_TRUE(plain.ok()) << plain.status().ToString();
  EXPECT_EQ(*plain, std::string(16, '\0'));
}

TEST(AeadTest, AnyChangeFailsToOpen) {
  std::string key(32, 'k');
  std::string sealed = Aes256GcmSeal(key, "payload", "ad").value();
  EXPECT_EQ(Aes256GcmOpen(key, sealed, "other ad").status().code(), StatusCode::kDataLoss);
  EXPECT_EQ(Aes256GcmOpen(std::string(32, 'x'), sealed, "ad").status().code(),
            StatusCode::kDataLoss);
  for (size_t i = 0; i < sealed.size(); ++i) {
    std::string bad = sealed;
    bad[i] ^= 0x01;
    EXPECT_FALSE(Aes256GcmOpen(key, bad, "ad").ok()) << i;
  }
  EXPECT_FALSE(Aes256GcmOpen(key, sealed.substr(0, 20), "ad").ok());
  EXPECT_EQ(Aes256GcmSeal("short", "x", "").status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace writ
