// Planning text parts and finding where a part's lines start.
#include "io/text/text_reader.hpp"

#include "io/glob.hpp"

#include <tessera/error.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

namespace tessera::text {

namespace {

// Opened rather than stat'ed: a file the tasks could not read fails here,
// at planning, naming it, instead of in a task later.
std::int64_t readable_size(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw InputError(std::string(path).append(": cannot open: ").append(std::strerror(errno)));
  struct stat st {};
  const bool ok = ::fstat(fd, &st) == 0;
  const int saved = errno;
  ::close(fd);
  if (!ok) throw InputError(std::string(path).append(": cannot stat: ").append(std::strerror(saved)));
  return st.st_size;
}

// The last compressed part's buffer, kept for this thread's next one: its
// pages are touched already, which makes inflating several times faster
// (see decompress.hpp). Not kept above 256 MiB, so that one huge file does
// not pin its memory for the rest of the run.
thread_local ByteBuffer spare_buffer;
constexpr std::size_t spare_limit = std::size_t{256} << 20;

}  // namespace

std::vector<TextPart> plan_text(const std::string& glob, std::int64_t blocksize) {
  std::vector<TextPart> parts;
  for (std::string& path : io::expand_glob(glob)) {
    const std::int64_t size = readable_size(path);
    const Compression compression = compression_of(path);
    if (compression != Compression::none || blocksize <= 0 || size == 0) {
      parts.push_back(TextPart{std::move(path), 0, size, compression});
      continue;
    }
    for (std::int64_t begin = 0; begin < size; begin += blocksize) {
      parts.push_back(TextPart{path, begin, std::min(size, begin + blocksize), compression});
    }
  }
  return parts;
}

TextReader::TextReader(TextPart part) : part_(std::move(part)) {
  if (part_.compression != Compression::none) {
    inflated_ = decompress_file(part_.path, part_.compression, std::move(spare_buffer));
  } else {
    file_.open(part_.path, false);
  }
}

TextReader::~TextReader() {
  if (inflated_.capacity() > spare_buffer.capacity() && inflated_.capacity() <= spare_limit) {
    spare_buffer = std::move(inflated_);
  }
}

std::string_view TextReader::loaded_from(std::int64_t from, std::int64_t to) {
  file_.load(from, to);
  if (from >= file_.loaded_end()) return {};
  return {file_.at(from), static_cast<std::size_t>(file_.loaded_end() - from)};
}

std::int64_t TextReader::first_line_start() {
  if (part_.begin == 0) return 0;
  // The byte before the part: a '\n' there means a line starts at begin.
  std::int64_t from = part_.begin - 1, load_to = part_.end;
  for (;;) {
    const std::string_view rest = loaded_from(from, load_to);
    if (const void* newline = std::memchr(rest.data(), '\n', rest.size())) {
      return from + (static_cast<const char*>(newline) - rest.data()) + 1;
    }
    if (from + static_cast<std::int64_t>(rest.size()) >= file_.size()) return file_.size();  // no line starts here
    from += static_cast<std::int64_t>(rest.size());
    load_to = from + std::max<std::int64_t>(static_cast<std::int64_t>(rest.size()), 1 << 20);
  }
}

std::int64_t TextReader::line_number_of(std::string_view line) {
  if (part_.compression != Compression::none) {
    const auto offset = static_cast<std::size_t>(line.data() - inflated_.data());
    if (offset < counted_to_) counted_to_ = newlines_ = 0;
    newlines_ += std::count(inflated_.data() + counted_to_, inflated_.data() + offset, '\n');
    counted_to_ = offset;
    return newlines_ + 1;
  }
  const std::int64_t first = file_.loaded_begin();
  return file_.line_of(first + (line.data() - file_.at(first)));
}

void read_lines(const TextPart& part, const std::function<void(std::string_view, std::int64_t)>& f) {
  TextReader(part).for_each_line(f);
}

std::int64_t line_number_of(const TextPart& part, std::int64_t offset_in_part) {
  if (part.compression != Compression::none) {
    const ByteBuffer bytes = decompress_file(part.path, part.compression);
    const auto offset = std::min<std::size_t>(static_cast<std::size_t>(offset_in_part), bytes.size());
    return static_cast<std::int64_t>(std::count(bytes.data(), bytes.data() + offset, '\n')) + 1;
  }
  csv::FileBytes file(part.path, false);
  return file.line_of(part.begin + offset_in_part);
}

}  // namespace tessera::text
