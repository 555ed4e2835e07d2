#include "identity/master_key.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "base/encoding.h"
#include "identity/identity_test_util.h"

namespace writ::identity {
namespace {

using namespace writ::identity::testing;

TEST(MasterKeyTest, TextFormsAndSealing) {
  auto hex = MasterKey::FromText(" " + std::string(64, 'f') + "\n");
  ASSERT_TRUE(hex.ok());
  auto b64 = MasterKey::FromText(Base64Encode(std::string(32, '\xff')));
  ASSERT_TRUE(b64.ok());
  auto sealed = hex->Seal("payload", "ctx-1");
  ASSERT_TRUE(sealed.ok());
  // Same bytes, other spelling: the same key.
  EXPECT_EQ(b64->Open(*sealed, "ctx-1").value(), "payload");
  EXPECT_EQ(hex->Open(*sealed, "ctx-2").status().code(), StatusCode::kDataLoss);
  for (const char* bad : {"", "abc", "zz", "00112233"}) {
    auto k = MasterKey::FromText(bad);
    EXPECT_FALSE(k.ok()) << bad;
  }
  auto wrong = MasterKey::FromText(std::string(63, 'a') + "g");
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.status().message().find(std::string(63, 'a')), std::string::npos);
}

TEST(MasterKeyTest, FilesMustBePrivate) {
  auto dir = TestDir("writ-master-");
  std::filesystem::create_directories(dir);
  std::string path = (dir / "master.key").string();
  auto key = MasterKey::Generate().value();
  ASSERT_TRUE(key.WriteFile(path).ok());
  EXPECT_EQ(key.WriteFile(path).code(), StatusCode::kAlreadyExists);
  struct stat st;
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto loaded = MasterKey::FromFile(path);
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_EQ(loaded->ToHex(), key.ToHex());
  ::chmod(path.c_str(), 0644);
  EXPECT_EQ(MasterKey::FromFile(path).status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(MasterKey::FromFile((dir / "none").string()).status().code(), StatusCode::kNotFound);
  std::filesystem::remove_all(dir);
}

TEST(MasterKeyTest, Environment) {
  ::setenv("WRIT_TEST_MASTER_KEY", std::string(64, '1').c_str(), 1);
  EXPECT_TRUE(MasterKey::FromEnvironment("WRIT_TEST_MASTER_KEY").ok());
  ::unsetenv("WRIT_TEST_MASTER_KEY");
  EXPECT_EQ(MasterKey::FromEnvironment("WRIT_TEST_MASTER_KEY").status().code(),
            StatusCode::kNotFound);
}

}  // namespace
}  // namespace writ::identity
