// A dataset path is walked one link at a time (H5Lexists only answers for the
// last link, and fails when an intermediate one is missing), so that a miss
// can name the deepest group that exists and list what it holds: the typo in
// "/g/hh/x" shows against "group '/g' holds 'h'".
#include "io/hdf5/hdf5_lookup.hpp"

#include <vector>

namespace tessera::io::detail {
namespace {

constexpr std::size_t listed_names = 20;

std::vector<std::string> components(const std::string& dataset) {
  std::vector<std::string> parts;
  std::size_t begin = 0;
  while (begin <= dataset.size()) {
    const std::size_t end = std::min(dataset.find('/', begin), dataset.size());
    if (end > begin) parts.push_back(dataset.substr(begin, end - begin));
    begin = end + 1;
  }
  return parts;
}

struct Walk {
  std::string reached;     // the deepest object found, "/" for the root group
  std::size_t found = 0;   // how many components exist
  H5O_type_t type = H5O_TYPE_GROUP;  // the type of `reached`
};

// Stops at the first missing component, or at a non-group that still has components below it.
Walk walk(hid_t file, const std::vector<std::string>& parts) {
  Walk w{"/", 0, H5O_TYPE_GROUP};
  std::string prefix;
  for (const std::string& part : parts) {
    if (w.type != H5O_TYPE_GROUP) break;
    const std::string next = prefix + "/" + part;
    if (H5Lexists(file, next.c_str(), H5P_DEFAULT) <= 0) break;
    H5O_info_t info;
    // A link that exists but resolves to nothing (dangling soft link) is missing too.
    if (H5Oget_info_by_name2(file, next.c_str(), &info, H5O_INFO_BASIC, H5P_DEFAULT) < 0) break;
    prefix = next;
    w = Walk{next, w.found + 1, info.type};
  }
  return w;
}

herr_t collect_name(hid_t, const char* name, const H5L_info_t*, void* names) {
  static_cast<std::vector<std::string>*>(names)->push_back(name);
  return 0;
}

std::string holdings(hid_t file, const std::string& group) {
  std::vector<std::string> names;
  Hid g(H5Gopen2(file, group.c_str(), H5P_DEFAULT));
  if (g.valid()) H5Literate(g.get(), H5_INDEX_NAME, H5_ITER_INC, nullptr, collect_name, &names);
  if (names.empty()) return "group '" + group + "' is empty";
  std::string out = "group '" + group + "' holds ";
  for (std::size_t i = 0; i < names.size() && i < listed_names; ++i) out += (i ? ", '" : "'") + names[i] + "'";
  if (names.size() > listed_names) out += " and " + std::to_string(names.size() - listed_names) + " more";
  return out;
}

std::string type_name(H5O_type_t type) {
  switch (type) {
    case H5O_TYPE_GROUP: return "a group";
    case H5O_TYPE_DATASET: return "a dataset";
    case H5O_TYPE_NAMED_DATATYPE: return "a named datatype";
    default: return "not a dataset";
  }
}

[[noreturn]] void missing(const std::string& path, const std::string& dataset, const std::string& why) {
  throw_error(ErrorKind::input, "HDF5 file '" + path + "' has no dataset '" + dataset + "': " + why);
}

}  // namespace

Hid open_dataset(hid_t file, const std::string& path, const std::string& dataset) {
  const std::vector<std::string> parts = components(dataset);
  if (parts.empty()) missing(path, dataset, "the name is empty");
  const Walk w = walk(file, parts);
  if (w.found < parts.size()) {
    if (w.type != H5O_TYPE_GROUP) missing(path, dataset, "'" + w.reached + "' is " + type_name(w.type) + ", not a group");
    missing(path, dataset, holdings(file, w.reached));
  }
  if (w.type == H5O_TYPE_GROUP) missing(path, dataset, "'" + w.reached + "' is a group; " + holdings(file, w.reached));
  if (w.type != H5O_TYPE_DATASET) missing(path, dataset, "'" + w.reached + "' is " + type_name(w.type));
  Hid d(H5Dopen2(file, w.reached.c_str(), H5P_DEFAULT));
  if (!d.valid()) fail_with_detail(ErrorKind::input, "cannot open dataset '" + dataset + "' in HDF5 file '" + path + "'");
  return d;
}

void check_creatable(hid_t file, const std::string& path, const std::string& dataset) {
  const std::vector<std::string> parts = components(dataset);
  if (parts.empty()) throw_error(ErrorKind::input, "a dataset for HDF5 file '" + path + "' has an empty name");
  const Walk w = walk(file, parts);
  if (w.found == parts.size()) {
    throw_error(ErrorKind::input, "HDF5 file '" + path + "' already has '" + dataset + "' (" + type_name(w.type) + ")",
                "append adds new datasets only; write to a new name, or use truncate to replace the file");
  }
  if (w.type != H5O_TYPE_GROUP) {
    throw_error(ErrorKind::input, "cannot create dataset '" + dataset + "' in HDF5 file '" + path + "': '" + w.reached +
                                      "' is " + type_name(w.type) + ", not a group");
  }
}

}  // namespace tessera::io::detail
