// Inflate throughput on one core (issue 12, docs/performance.md "Text inflate
// throughput"): every .gz file of a glob inflated by zlib (as lib/io/csv does
// today, and raw into a buffer sized from the trailer) and by libdeflate
// (lib/io/text), then the same bytes as zstd level 3; also the line scan.
// "presized" runs write into one buffer touched before: the decoder alone;
// the others allocate their output, as a task does, and pay the first touch.
// MB/s of decompressed output, best of RUNS, files in the page cache.
//
//   text_inflate_bench GLOB [RUNS]
#include "io/csv/file_bytes.hpp"
#include "io/glob.hpp"
#include "io/text/decompress.hpp"
#include "io/text/text_reader.hpp"

#include <libdeflate.h>
#include <zlib.h>
#include <zstd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

namespace {

namespace text = tessera::text;

double best_seconds(int runs, const std::function<void()>& f) {
  double best = 1e30;
  for (int run = 0; run < runs; ++run) {
    const auto start = std::chrono::steady_clock::now();
    f();
    best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  return best;
}

// zlib with the output buffer sized up front: its best case.
std::size_t zlib_into(const std::string& in, std::vector<char>& out) {
  z_stream z{};
  inflateInit2(&z, 16 + MAX_WBITS);
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.avail_in = static_cast<uInt>(in.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  while (inflate(&z, Z_NO_FLUSH) == Z_STREAM_END && z.avail_in > 0) inflateReset(&z);
  const std::size_t size = z.total_out;
  inflateEnd(&z);
  return size;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: text_inflate_bench GLOB [RUNS]\n");
    return 2;
  }
  const int runs = argc > 2 ? std::stoi(argv[2]) : 5;
  const std::vector<std::string> paths = tessera::io::expand_glob(argv[1]);
  std::vector<std::string> compressed;
  std::vector<std::string> zstd;
  std::size_t in_bytes = 0, out_bytes = 0, zstd_bytes = 0;
  for (const std::string& path : paths) {
    const text::ByteBuffer plain = text::decompress_file(path, text::Compression::gzip);
    out_bytes += plain.size();
    std::string z(ZSTD_compressBound(plain.size()), '\0');
    z.resize(ZSTD_compress(z.data(), z.size(), plain.data(), plain.size(), 3));
    zstd_bytes += z.size();
    zstd.push_back(std::move(z));
    const text::ByteBuffer raw = text::decompress_file(path, text::Compression::none);
    compressed.emplace_back(raw.data(), raw.size());
    in_bytes += raw.size();
  }
  std::vector<char> scratch(out_bytes + 1);
  const double mb = static_cast<double>(out_bytes) / 1e6;
  std::printf("%zu files, %.1f MB gzip -> %.1f MB (ratio %.2f); zstd -3: %.1f MB\n", paths.size(), in_bytes / 1e6, mb,
              static_cast<double>(out_bytes) / static_cast<double>(in_bytes), zstd_bytes / 1e6);
  const auto report = [&](const char* what, double seconds) { std::printf("%-44s %8.0f MB/s\n", what, mb / seconds); };
  report("zlib, csv::inflate_gzip (1 MiB reads, grown)", best_seconds(runs, [&] {
           for (const std::string& path : paths) tessera::csv::inflate_gzip(path);
         }));
  report("zlib, inflate into a presized buffer", best_seconds(runs, [&] {
           for (const std::string& in : compressed) zlib_into(in, scratch);
         }));
  libdeflate_decompressor* d = libdeflate_alloc_decompressor();
  report("libdeflate, into the same presized buffer", best_seconds(runs, [&] {
           for (const std::string& in : compressed) {
             std::size_t in_pos = 0, out_pos = 0;
             while (in_pos < in.size()) {
               std::size_t used = 0, made = 0;
               libdeflate_gzip_decompress_ex(d, in.data() + in_pos, in.size() - in_pos, scratch.data() + out_pos,
                                             scratch.size() - out_pos, &used, &made);
               in_pos += used, out_pos += made;
             }
           }
         }));
  libdeflate_free_decompressor(d);
  ZSTD_DCtx* zd = ZSTD_createDCtx();
  report("zstd, into the same presized buffer", best_seconds(runs, [&] {
           for (const std::string& z : zstd) ZSTD_decompressDCtx(zd, scratch.data(), scratch.size(), z.data(), z.size());
         }));
  ZSTD_freeDCtx(zd);
  report("libdeflate, text::inflate_gzip (in memory)", best_seconds(runs, [&] {
           for (std::size_t i = 0; i < paths.size(); ++i) text::inflate_gzip({compressed[i].data(), compressed[i].size()}, paths[i]);
         }));
  report("libdeflate, text::decompress_file (mmap)", best_seconds(runs, [&] {
           for (const std::string& path : paths) text::decompress_file(path, text::Compression::gzip);
         }));
  report("zstd, text::decompress_zstd (in memory)", best_seconds(runs, [&] {
           for (std::size_t i = 0; i < paths.size(); ++i) text::decompress_zstd({zstd[i].data(), zstd[i].size()}, paths[i]);
         }));
  std::int64_t lines = 0, bytes = 0;
  report("TextReader: .gz part, inflate + for_each_line", best_seconds(runs, [&] {
           for (const text::TextPart& part : text::plan_text(argv[1], 0)) {
             text::TextReader(part).for_each_line([&](std::string_view line, std::int64_t) { ++lines, bytes += static_cast<std::int64_t>(line.size()); });
           }
         }));
  std::int64_t via_function = 0;
  report("read_lines (std::function), same", best_seconds(runs, [&] {
           for (const text::TextPart& part : text::plan_text(argv[1], 0)) {
             text::read_lines(part, [&](std::string_view, std::int64_t) { ++via_function; });
           }
         }));
  std::printf("%lld lines a run\n", static_cast<long long>(lines / runs));
  return 0;
}
