// expand_glob: the files a pattern names, sorted by Tessera rather than the shell.
#include "io/glob.hpp"

#include <tessera/error.hpp>

#include <glob.h>
#include <sys/stat.h>

#include <algorithm>

namespace tessera::io {

namespace {

bool has_wildcard(const std::string& pattern) { return pattern.find_first_of("*?[") != std::string::npos; }

bool is_directory(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

}  // namespace

std::vector<std::string> expand_glob(const std::string& pattern) {
  if (!has_wildcard(pattern)) {
    struct stat st {};
    if (::stat(pattern.c_str(), &st) != 0) throw InputError(std::string(pattern).append(": no such file"));
    if (S_ISDIR(st.st_mode)) throw InputError(std::string("'").append(pattern).append("' is a directory, not a file"));
    return {pattern};
  }
  glob_t found{};
  // glob(3) matches * ? [..] in every path component; GLOB_NOSORT because
  // its order follows the locale's collation and ours is bytewise.
  const int status = ::glob(pattern.c_str(), GLOB_NOSORT, nullptr, &found);
  std::vector<std::string> paths;
  if (status == 0) {
    for (std::size_t i = 0; i < found.gl_pathc; ++i) {
      std::string path = found.gl_pathv[i];
      if (!is_directory(path)) paths.push_back(std::move(path));
    }
  }
  ::globfree(&found);
  if (status != 0 && status != GLOB_NOMATCH) {
    throw InputError(std::string("cannot expand '").append(pattern).append("' (a directory could not be read)"));
  }
  if (paths.empty()) throw InputError(std::string("no file matches '").append(pattern).append("'"));
  std::sort(paths.begin(), paths.end());
  return paths;
}

}  // namespace tessera::io
