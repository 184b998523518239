// lib/io/text against a plain split of the same bytes: any blocksize gives
// exactly the lines of one whole-file read (CRLF, empty lines, no final
// newline, a line longer than many blocks), gzip from zlib (several members)
// and zstd from libzstd decode to the same lines, what TextWriter writes
// reads back, and errors name the file.
#include "io/text/decompress.hpp"
#include "io/text/text_reader.hpp"
#include "io/text/text_writer.hpp"

#include <tessera/error.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include <filesystem>
#include <fstream>
#include <random>

namespace {

namespace fs = std::filesystem;
namespace text = tessera::text;
using tessera::InputError;
using ::testing::HasSubstr;

struct Line {
  std::string text;
  std::int64_t number;
  bool operator==(const Line&) const = default;
};

// The oracle: split at '\n', drop a '\r' before it; a last line without '\n' counts.
std::vector<std::string> split_lines(const std::string& bytes) {
  std::vector<std::string> lines;
  for (std::size_t from = 0; from < bytes.size();) {
    const std::size_t newline = bytes.find('\n', from);
    if (newline == std::string::npos) {
      lines.push_back(bytes.substr(from));
      break;
    }
    std::string line = bytes.substr(from, newline - from);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    lines.push_back(std::move(line));
    from = newline + 1;
  }
  return lines;
}

std::string gzip_member(const std::string& bytes) {
  z_stream z{};
  EXPECT_EQ(deflateInit2(&z, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY), Z_OK);
  std::string out(deflateBound(&z, bytes.size()) + 64, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(bytes.data()));
  z.avail_in = static_cast<uInt>(bytes.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(deflate(&z, Z_FINISH), Z_STREAM_END);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

std::string zstd_frame(const std::string& bytes) {
  std::string out(ZSTD_compressBound(bytes.size()), '\0');
  const std::size_t size = ZSTD_compress(out.data(), out.size(), bytes.data(), bytes.size(), 3);
  EXPECT_FALSE(ZSTD_isError(size));
  out.resize(size);
  return out;
}

class Text : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           std::string("tessera_text_test_").append(std::to_string(::getpid())).append("_")
               .append(::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string write(const std::string& name, const std::string& bytes) {
    const fs::path path = dir_ / name;
    std::ofstream(path, std::ios::binary) << bytes;
    return path.string();
  }

  // Every line of every part of `glob`, with the line numbers the reader
  // knows, or else the ones line_number_of finds.
  static std::vector<Line> read_all(const std::string& glob, std::int64_t blocksize) {
    std::vector<Line> lines;
    for (const text::TextPart& part : text::plan_text(glob, blocksize)) {
      text::TextReader reader(part);
      reader.for_each_line([&](std::string_view line, std::int64_t number) {
        const std::int64_t found = reader.line_number_of(line);
        if (number != -1) {
          EXPECT_EQ(number, found) << part.path << " [" << part.begin << ", " << part.end << ")";
        }
        lines.push_back({std::string(line), found});
      });
    }
    return lines;
  }

  static std::vector<Line> numbered(const std::vector<std::string>& lines) {
    std::vector<Line> out;
    for (std::size_t i = 0; i < lines.size(); ++i) out.push_back({lines[i], static_cast<std::int64_t>(i) + 1});
    return out;
  }

  fs::path dir_;
};

TEST_F(Text, AnyBlocksizeGivesTheLinesOfOneWholeRead) {
  std::mt19937 random(12);
  std::string bytes;
  for (int i = 0; i < 300; ++i) {
    const int kind = static_cast<int>(random() % 6);
    if (kind == 0) bytes += "\n";                               // empty line
    else if (kind == 1) bytes += "crlf " + std::to_string(i) + "\r\n";
    else if (kind == 2) bytes += "\r\n";                        // empty CRLF line
    else if (kind == 3) bytes += std::string(random() % 150, 'x') + "\n";
    else bytes += "line " + std::to_string(i) + " h\xc3\xa9llo\n";
  }
  bytes += std::string(500, 'L') + "\n";  // longer than most blocks
  for (const std::string& tail : {std::string("no final newline"), std::string(), std::string("cr at the end\r")}) {
    const std::string path = write("t.txt", bytes + tail);
    const std::vector<Line> expected = numbered(split_lines(bytes + tail));
    for (const std::int64_t blocksize : {1, 2, 3, 7, 13, 64, 100, 499, 501, 4096, 0, -1}) {
      EXPECT_EQ(read_all(path, blocksize), expected) << "blocksize " << blocksize << ", tail '" << tail << "'";
    }
  }
}

TEST_F(Text, SmallFilesAtEveryBlocksize) {
  for (const std::string bytes : {"a", "\n", "\n\n", "a\n", "a\nb", "\r\n", "ab\r\ncd\r\n", "\n\nx\n\n"}) {
    const std::string path = write("s.txt", bytes);
    for (const std::int64_t blocksize : {1, 2, 3, 0}) {
      EXPECT_EQ(read_all(path, blocksize), numbered(split_lines(bytes))) << "'" << bytes << "' blocksize " << blocksize;
    }
  }
}

TEST_F(Text, EmptyFileIsOneEmptyPart) {
  const std::string path = write("empty.txt", "");
  const auto parts = text::plan_text(path, 64);
  ASSERT_EQ(parts.size(), 1u);
  EXPECT_EQ(parts[0].begin, 0);
  EXPECT_EQ(parts[0].end, 0);
  EXPECT_TRUE(read_all(path, 64).empty());
  write("empty.gz", "");
  EXPECT_TRUE(read_all((dir_ / "empty.gz").string(), 64).empty());
}

TEST_F(Text, PlanSortsFilesAndCutsOnlyPlainOnes) {
  write("b.txt", std::string(250, 'b'));
  write("a.txt", std::string(100, 'a'));
  write("c.gz", gzip_member(std::string(1000, 'c')));
  const auto parts = text::plan_text((dir_ / "*").string(), 100);
  ASSERT_EQ(parts.size(), 5u);
  EXPECT_THAT(parts[0].path, HasSubstr("a.txt"));
  EXPECT_THAT(parts[1].path, HasSubstr("b.txt"));
  EXPECT_EQ(parts[3].begin, 200);
  EXPECT_EQ(parts[3].end, 250);
  EXPECT_EQ(parts[4].compression, text::Compression::gzip);
  EXPECT_EQ(parts[4].begin, 0);
  EXPECT_EQ(text::plan_text((dir_ / "*").string(), 0).size(), 3u);
}

TEST_F(Text, MultiMemberGzipAndPadding) {
  std::string first, second;
  for (int i = 0; i < 5000; ++i) first += "first " + std::to_string(i) + "\n";
  for (int i = 0; i < 10; ++i) second += "second " + std::to_string(i) + "\r\n";
  second += "no newline";
  const std::string path = write("m.txt.gz", gzip_member(first) + gzip_member(second) + gzip_member(""));
  EXPECT_EQ(read_all(path, 7), numbered(split_lines(first + second)));
  // Zero padding after the last member, as gzip -d accepts.
  const std::string padded = write("p.gz", gzip_member(first) + std::string(100, '\0'));
  EXPECT_EQ(read_all(padded, 7), numbered(split_lines(first)));
}

TEST_F(Text, ZstdFrames) {
  std::string first, second;
  for (int i = 0; i < 20000; ++i) first += "{\"id\": " + std::to_string(i) + "}\n";
  second = "\n\nlast";
  const std::string path = write("z.json.zst", zstd_frame(first) + zstd_frame(second));
  EXPECT_EQ(read_all(path, 1), numbered(split_lines(first + second)));
}

TEST_F(Text, WriteTextRoundTrips) {
  std::vector<std::string> lines = {"", "a", "h\xc3\xa9llo", "", "with\ttab", std::string(10000, 'w')};
  // Past 4 MiB: several gzip members, several zstd pieces.
  for (int i = 0; i < 300000; ++i) lines.push_back("{\"n\": " + std::to_string(i) + "}");
  for (const std::string name : {"plain.txt", "z.gz", "z.zst"}) {
    const std::string path = (dir_ / "new" / "dir" / name).string();
    text::write_text(path, lines);
    EXPECT_EQ(read_all(path, 1 << 16), numbered(lines)) << name;
    text::write_text(path, {});
    EXPECT_TRUE(read_all(path, 0).empty()) << name;
  }
  // Independently: zlib inflates our gzip.
  const std::string path = (dir_ / "small.gz").string();
  text::write_text(path, {"x", "y"});
  gzFile in = gzopen(path.c_str(), "rb");
  char buffer[16] = {};
  EXPECT_EQ(gzread(in, buffer, sizeof buffer), 4);
  gzclose(in);
  EXPECT_EQ(std::string(buffer), "x\ny\n");
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const InputError& e) {
    return e.what();
  }
  return "no InputError";
}

TEST_F(Text, ErrorsNameTheFile) {
  EXPECT_THAT(error_of([&] { text::plan_text((dir_ / "*.json").string(), 64); }),
              HasSubstr(std::string("no file matches '").append((dir_ / "*.json").string()).append("'")));
  EXPECT_THAT(error_of([&] { text::plan_text((dir_ / "missing.txt").string(), 64); }), HasSubstr("missing.txt"));

  std::string good = gzip_member(std::string(10000, 'g') + "\n");
  std::string flipped = good;
  flipped[flipped.size() / 2] ^= 0x55;
  const std::string corrupt = write("corrupt.gz", flipped);
  EXPECT_THAT(error_of([&] { read_all(corrupt, 0); }), HasSubstr(corrupt + ": not a valid gzip file"));
  const std::string truncated = write("truncated.gz", good.substr(0, good.size() - 6));
  EXPECT_THAT(error_of([&] { read_all(truncated, 0); }), HasSubstr(truncated + ": not a valid gzip file"));
  const std::string not_gzip = write("plain.gz", "just text\n");
  EXPECT_THAT(error_of([&] { read_all(not_gzip, 0); }), HasSubstr(not_gzip + ": not a valid gzip file"));
  const std::string zst = zstd_frame(std::string(10000, 'z'));
  const std::string cut = write("cut.zst", zst.substr(0, zst.size() - 3));
  EXPECT_THAT(error_of([&] { read_all(cut, 0); }), HasSubstr(cut + ": not a valid zstd file"));
  const std::string junk = write("junk.zst", "not zstd at all");
  EXPECT_THAT(error_of([&] { read_all(junk, 0); }), HasSubstr(junk + ": not a valid zstd file"));

  if (::geteuid() != 0) {  // root reads anything
    const std::string locked = write("locked.txt", "x\n");
    fs::permissions(locked, fs::perms::none);
    EXPECT_THAT(error_of([&] { text::plan_text(locked, 0); }), HasSubstr(locked + ": cannot open"));
  }
  write("file", "x");
  EXPECT_THAT(error_of([&] { text::write_text((dir_ / "file" / "under.txt").string(), {"x"}); }), HasSubstr("under.txt"));
}

TEST_F(Text, LineNumbersOfLaterParts) {
  std::string bytes;
  for (int i = 1; i <= 100; ++i) bytes += std::to_string(i) + "\n";
  const std::string path = write("n.txt", bytes);
  for (const text::TextPart& part : text::plan_text(path, 50)) {
    text::read_lines(part, [&](std::string_view line, std::int64_t number) {
      EXPECT_EQ(number == -1, part.begin > 0);
      (void)line;
    });
    if (part.begin > 0) {
      // Byte 0 of the part lies on the line holding byte part.begin of the file.
      EXPECT_EQ(text::line_number_of(part, 0), static_cast<std::int64_t>(std::count(bytes.begin(), bytes.begin() + part.begin, '\n')) + 1);
    }
  }
}

}  // namespace
