#include "base/crypto.h"

#include <gtest/gtest.h>

#include "base/encoding.h"

namespace writ {
namespace {

std::string Unhex(std::string_view h) {
  return HexDecode(h).value();
}

TEST(CryptoTest, Sha256KnownAnswers) {
  EXPECT_EQ(DigestHex(Sha256("")),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(DigestHex(Sha256("abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(DigestHex(Sha256("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

TEST(CryptoTest, IncrementalHasherMatchesOneShot) {
  Sha256Hasher h;
  std::string data(1000, 'x');
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>(i * 31);
  h.Update(std::string_view(data).substr(0, 333));
  h.Update(std::string_view(data).substr(333));
  EXPECT_EQ(h.Finish(), Sha256(data));
  // Finish resets: the next hash is independent of the previous one.
  EXPECT_EQ(h.Hash("abc"), Sha256("abc"));
  EXPECT_EQ(h.Hash("abc"), Sha256("abc"));
}

TEST(CryptoTest, DigestHexRoundTrip) {
  Digest d = Sha256("x");
  auto back = DigestFromHex(DigestHex(d));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, d);
  EXPECT_FALSE(DigestFromHex("abcd").ok());
  EXPECT_FALSE(DigestFromHex(std::string(64, 'g')).ok());
}

// RFC 4231 test cases 1 and 2.
TEST(CryptoTest, HmacSha256Rfc4231) {
  EXPECT_EQ(DigestHex(HmacSha256(std::string(20, '\x0b'), "Hi There")),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
  EXPECT_EQ(DigestHex(HmacSha256("Jefe", "what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

// RFC 8032 §7.1 TEST 1 and TEST 2.
TEST(CryptoTest, Ed25519Rfc8032Vectors) {
  struct Vector {
    const char* seed;
    const char* pub;
    const char* msg;
    const char* sig;
  } vectors[] = {
      {"9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
       "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "",
       "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701c"
       "f9b46bd25bf5f0595bbe24655141438e7a100b"},
      {"4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
       "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "72",
       "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0"
       "f11d8c387b2eaeb4302aeeb00d291612bb0c00"},
  };
  for (const auto& v : vectors) {
    auto key = Ed25519PrivateKey::FromSeed(Unhex(v.seed));
    ASSERT_TRUE(key.ok());
    EXPECT_EQ(HexEncode(key->PublicKey()), v.pub);
    EXPECT_EQ(HexEncode(key->Seed()), v.seed);
    auto sig = key->Sign(Unhex(v.msg));
    ASSERT_TRUE(sig.ok());
    EXPECT_EQ(HexEncode(*sig), v.sig);
    EXPECT_TRUE(Ed25519Verify(Unhex(v.pub), Unhex(v.msg), *sig));
    std::string bad = *sig;
    bad[0] ^= 1;
    EXPECT_FALSE(Ed25519Verify(Unhex(v.pub), Unhex(v.msg), bad));
    EXPECT_FALSE(Ed25519Verify(Unhex(v.pub), Unhex(v.msg) + "x", *sig));
  }
}

TEST(CryptoTest, GeneratedKeysSignAndRejectGarbage) {
  auto a = Ed25519PrivateKey::Generate();
  auto b = Ed25519PrivateKey::Generate();
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(a->PublicKey(), b->PublicKey());
  auto sig = a->Sign("checkpoint");
  ASSERT_TRUE(sig.ok());
  EXPECT_TRUE(Ed25519Verify(a->PublicKey(), "checkpoint", *sig));
  EXPECT_FALSE(Ed25519Verify(b->PublicKey(), "checkpoint", *sig));
  EXPECT_FALSE(Ed25519Verify("short", "checkpoint", *sig));
  EXPECT_FALSE(Ed25519Verify(a->PublicKey(), "checkpoint", sig->substr(0, 63)));
  EXPECT_FALSE(Ed25519PrivateKey::FromSeed("too short").ok());
}

TEST(CryptoTest, RandomAndConstantTimeEqual) {
  auto r1 = RandomBytes(32);
  auto r2 = RandomBytes(32);
  ASSERT_TRUE(r1.ok() && r2.ok());
  EXPECT_EQ(r1->size(), 32u);
  EXPECT_NE(*r1, *r2);
  EXPECT_TRUE(ConstantTimeEqual(*r1, *r1));
  EXPECT_FALSE(ConstantTimeEqual(*r1, *r2));
  EXPECT_FALSE(ConstantTimeEqual("ab", "abc"));
}

}  // namespace
}  // namespace writ
