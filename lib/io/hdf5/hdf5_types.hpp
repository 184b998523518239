#pragma once
// Tessera's dtypes as HDF5 types: what a stored type reads as, and the types
// handed to H5Dread/H5Dwrite and H5Dcreate.
#include "io/hdf5/hdf5_session.hpp"

#include <tessera/dtype.hpp>

#include <optional>
#include <string>

namespace tessera::io::detail {

/// The dtype a stored type reads as: integers and floats of each size, and
/// h5py's bool (an enum over an 8-bit integer, FALSE = 0 and TRUE = 1).
/// Nothing for other types (strings, compounds, float16, other enums...).
std::optional<DType> dtype_of_stored(hid_t type);
/// For messages: "string", "compound", "float of 2 bytes", "enum (3 members)".
std::string describe_stored_type(hid_t type);

/// The in-memory type of `dtype` for H5Dread/H5Dwrite (native byte order).
Hid memory_type(DType dtype);
/// The type a new dataset of `dtype` is stored as: little-endian, as h5py
/// writes on the machines we run on; bool as h5py's enum, so NumPy reads a
/// bool array back.
Hid stored_type(DType dtype);

}  // namespace tessera::io::detail
