#pragma once
// The files a pattern names, shared by every file reader (CSV blocks, text parts).
//
//   for (const std::string& path : io::expand_glob("logs/2015-*.json.gz")) ...
#include <string>
#include <vector>

namespace tessera::io {

/// The files `pattern` matches (* ? [...] in any path component), sorted
/// bytewise; a pattern without wildcards is itself (it must exist and not be
/// a directory). InputError naming the pattern when nothing matches.
std::vector<std::string> expand_glob(const std::string& pattern);

}  // namespace tessera::io
