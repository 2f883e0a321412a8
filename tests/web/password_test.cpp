// The password hash and its file.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "web/password.hpp"

namespace pushback::web {
namespace {

TEST(Password, HashVerifiesOnlyTheSamePassword) {
  auto hash = hash_password("correct horse battery staple");
  EXPECT_TRUE(hash.starts_with("$argon2id$"));
  EXPECT_EQ(hash.find("correct"), std::string::npos);
  EXPECT_TRUE(verify_password(hash, "correct horse battery staple"));
  EXPECT_FALSE(verify_password(hash, "correct horse battery stapl"));
  EXPECT_FALSE(verify_password(hash, ""));
  EXPECT_FALSE(verify_password("not a hash", "x"));
  EXPECT_NE(hash_password("correct horse battery staple"), hash);  // salted
}

TEST(Password, FileIsWrittenOwnerOnlyAndRefusedWhenOthersCanRead) {
  auto dir = std::filesystem::temp_directory_path() / ("pb-password-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  auto path = (dir / "web-password").string();
  auto hash = hash_password("a long enough password");
  ASSERT_EQ(write_password_file(path, hash), "");
  struct stat info{};
  ASSERT_EQ(::stat(path.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 07777, 0600u);
  std::string error;
  EXPECT_EQ(read_password_file(path, error).value_or(""), hash);
  ::chmod(path.c_str(), 0644);
  EXPECT_FALSE(read_password_file(path, error));
  EXPECT_NE(error.find("chmod 600"), std::string::npos) << error;
  std::ofstream(path) << "plain text\n";
  ::chmod(path.c_str(), 0600);
  EXPECT_FALSE(read_password_file(path, error));
  EXPECT_NE(error.find("not a password hash"), std::string::npos) << error;
  EXPECT_FALSE(read_password_file((dir / "missing").string(), error));
  EXPECT_NE(error.find("pushback web passwd"), std::string::npos) << error;
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace pushback::web
