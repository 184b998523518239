#pragma once
// Finding a dataset by its path inside a file, and saying what is there when
// it is not: the group where the lookup stopped and what that group holds.
#include "io/hdf5/hdf5_session.hpp"

#include <string>

namespace tessera::io::detail {

/// Opens `dataset` ("/a/b/x" or "a/b/x") in `file`; InputError naming `path`
/// and the dataset when it is missing, or a group, or under a non-group.
Hid open_dataset(hid_t file, const std::string& path, const std::string& dataset);

/// InputError unless `dataset` can be created in `file`: it does not exist,
/// and each existing prefix of it is a group.
void check_creatable(hid_t file, const std::string& path, const std::string& dataset);

}  // namespace tessera::io::detail
