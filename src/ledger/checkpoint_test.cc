#include "ledger/checkpoint.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>

#include "base/encoding.h"

namespace writ::ledger {
namespace {

Ed25519NoteSigner TestSigner(const std::string& name = "writ.example/ledger") {
  auto key =
      Ed25519PrivateKey::FromSeed(HexDecode("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703b"
                                            "ac031cae7f60")
                                      .value());
  return Ed25519NoteSigner(name, std::move(key).value());
}

Checkpoint TestCheckpoint() {
  Checkpoint c;
  c.origin = "writ.example/ledger";
  c.tree_size = 4;
  c.root = Sha256("root");
  return c;
}

TEST(CheckpointTest, BodyFollowsTlogCheckpoint) {
  Checkpoint c = TestCheckpoint();
  std::string body = FormatCheckpointBody(c);
  EXPECT_EQ(body, "writ.example/ledger\n4\n" + Base64Encode(DigestBytes(c.root)) + "\n");
  auto back = ParseCheckpointBody(body);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->origin, c.origin);
  EXPECT_EQ(back->tree_size, 4u);
  EXPECT_EQ(back->root, c.root);
  c.extensions = {"time 1700000000"};
  back = ParseCheckpointBody(FormatCheckpointBody(c));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->extensions, c.extensions);
  for (const char* bad : {"", "o\n4\n", "o\n04\nAAAA\n", "o\nx\nAAAA\n", "o\n4\nAAAA\n",
                          "o\n4\n" /* no root */, "\n4\nAAAA\n"}) {
    EXPECT_FALSE(ParseCheckpointBody(bad).ok()) << bad;
  }
}

TEST(CheckpointTest, KeyIdIsTheC2spFormula) {
  auto signer = TestSigner();
  std::string data = "writ.example/ledger\n";
  data += '\x01';
  data += signer.public_key();
  Digest d = Sha256(data);
  uint32_t want = uint32_t{d[0]} << 24 | uint32_t{d[1]} << 16 | uint32_t{d[2]} << 8 | d[3];
  EXPECT_EQ(signer.key_id(), want);
  std::string vkey = FormatVerifierKey(signer.name(), signer.public_key());
  auto parsed = ParseVerifierKey(vkey);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(parsed->key_id, want);
  EXPECT_EQ(parsed->public_key, signer.public_key());
  std::string wrong_id = vkey;
  wrong_id[signer.name().size() + 1] = wrong_id[signer.name().size() + 1] == '0' ? '1' : '0';
  EXPECT_FALSE(ParseVerifierKey(wrong_id).ok());
}

TEST(CheckpointTest, SignedNoteVerifiesAndTamperingIsCaught) {
  auto signer = TestSigner();
  auto note = SignCheckpoint(TestCheckpoint(), signer);
  ASSERT_TRUE(note.ok());
  // Layout: body, blank line, one em-dash signature line.
  EXPECT_NE(note->find("\n\n\xe2\x80\x94 writ.example/ledger "), std::string::npos);
  auto parsed = ParseNote(*note);
  ASSERT_TRUE(parsed.ok());
  ASSERT_EQ(parsed->signatures.size(), 1u);
  EXPECT_EQ(parsed->signatures[0].signature.size(), 64u);
  auto vkey = ParseVerifierKey(FormatVerifierKey(signer.name(), signer.public_key())).value();
  auto opened = OpenCheckpoint(*note, vkey);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  EXPECT_EQ(opened->tree_size, 4u);

  std::string forged = *note;
  forged[forged.find("\n4\n") + 1] = '5';  // claim a bigger tree
  EXPECT_EQ(OpenCheckpoint(forged, vkey).status().code(), StatusCode::kDataLoss);

  auto other = Ed25519PrivateKey::Generate();
  Ed25519NoteSigner impostor("writ.example/ledger", std::move(other).value());
  auto forged2 = SignCheckpoint(TestCheckpoint(), impostor);
  EXPECT_EQ(OpenCheckpoint(*forged2, vkey).status().code(), StatusCode::kDataLoss);

  EXPECT_FALSE(OpenCheckpoint("no signature block", vkey).ok());
  EXPECT_FALSE(ParseNote("a\n\n-- name AAAA\n").ok());
}

TEST(CheckpointTest, KeyFileIsCreatedPrivateAndReloaded) {
  auto dir = std::filesystem::temp_directory_path() / ("writ-key-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  std::string path = (dir / "ledger.key").string();
  auto a = LoadOrCreateFileNoteSigner(path, "writ.example/ledger");
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  struct stat st;
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto b = LoadOrCreateFileNoteSigner(path, "writ.example/ledger");
  ASSERT_TRUE(b.ok());
  EXPECT_EQ((*a)->public_key(), (*b)->public_key());
  ::chmod(path.c_str(), 0644);
  EXPECT_EQ(LoadOrCreateFileNoteSigner(path, "writ.example/ledger").status().code(),
            StatusCode::kFailedPrecondition);
  ::chmod(path.c_str(), 0600);
  EXPECT_FALSE(LoadOrCreateFileNoteSigner(path, "bad origin").ok());
  std::filesystem::remove_all(dir);
}

TEST(CheckpointTest, OriginsAreRestricted) {
  EXPECT_TRUE(ValidateOrigin("writ.example.com/ledger/node-1").ok());
  EXPECT_FALSE(ValidateOrigin("").ok());
  EXPECT_FALSE(ValidateOrigin("has space").ok());
  EXPECT_FALSE(ValidateOrigin("quote\"").ok());
  EXPECT_FALSE(ValidateOrigin("plus+").ok());
  EXPECT_FALSE(ValidateOrigin(std::string(256, 'a')).ok());
}

}  // namespace
}  // namespace writ::ledger
