#include "io/hdf5/hdf5_types.hpp"

#include "io/hdf5/hdf5_file.hpp"

#include <cstring>

namespace tessera::io::detail {
namespace {

// h5py's bool: an enum over int8 with exactly these two members.
Hid bool_enum(hid_t base) {
  Hid type(H5Tenum_create(base));
  const signed char no = 0, yes = 1;
  H5Tenum_insert(type.get(), "FALSE", &no);
  H5Tenum_insert(type.get(), "TRUE", &yes);
  return type;
}

bool is_bool_enum(hid_t type) {
  if (H5Tget_nmembers(type) != 2) return false;
  Hid base(H5Tget_super(type));
  if (!base.valid() || H5Tget_class(base.get()) != H5T_INTEGER || H5Tget_size(base.get()) != 1) return false;
  for (unsigned member = 0; member < 2; ++member) {
    char* name = H5Tget_member_name(type, member);
    if (name == nullptr) return false;
    const bool named = std::strcmp(name, member == 0 ? "FALSE" : "TRUE") == 0;
    H5free_memory(name);
    signed char value = -1;
    // Member values are in the base type, which is one byte here.
    if (!named || H5Tget_member_value(type, member, &value) < 0 || value != static_cast<signed char>(member)) {
      return false;
    }
  }
  return true;
}

}  // namespace

std::optional<DType> dtype_of_stored(hid_t type) {
  const std::size_t size = H5Tget_size(type);
  switch (H5Tget_class(type)) {
    case H5T_INTEGER: {
      const bool is_signed = H5Tget_sign(type) == H5T_SGN_2;
      switch (size) {
        case 1: return is_signed ? DType::int8 : DType::uint8;
        case 2: return is_signed ? DType::int16 : DType::uint16;
        case 4: return is_signed ? DType::int32 : DType::uint32;
        case 8: return is_signed ? DType::int64 : DType::uint64;
        default: return std::nullopt;
      }
    }
    case H5T_FLOAT:
      if (size == 4) return DType::float32;
      if (size == 8) return DType::float64;
      return std::nullopt;
    case H5T_ENUM:
      if (is_bool_enum(type)) return DType::bool_;
      return std::nullopt;
    default: return std::nullopt;
  }
}

std::string describe_stored_type(hid_t type) {
  const std::string bytes = " of " + std::to_string(H5Tget_size(type)) + " bytes";
  switch (H5Tget_class(type)) {
    case H5T_INTEGER: return "integer" + bytes;
    case H5T_FLOAT: return "float" + bytes;
    case H5T_STRING: return "string";
    case H5T_COMPOUND: return "compound";
    case H5T_ENUM: return "enum (" + std::to_string(H5Tget_nmembers(type)) + " members, not h5py's bool)";
    case H5T_ARRAY: return "array";
    case H5T_VLEN: return "variable-length";
    case H5T_REFERENCE: return "reference";
    case H5T_OPAQUE: return "opaque";
    case H5T_BITFIELD: return "bitfield";
    case H5T_TIME: return "time";
    default: return "unknown";
  }
}

Hid memory_type(DType dtype) {
  switch (dtype) {
    case DType::bool_: return bool_enum(H5T_NATIVE_SCHAR);
    case DType::int8: return Hid(H5Tcopy(H5T_NATIVE_INT8));
    case DType::int16: return Hid(H5Tcopy(H5T_NATIVE_INT16));
    case DType::int32: return Hid(H5Tcopy(H5T_NATIVE_INT32));
    case DType::int64: return Hid(H5Tcopy(H5T_NATIVE_INT64));
    case DType::uint8: return Hid(H5Tcopy(H5T_NATIVE_UINT8));
    case DType::uint16: return Hid(H5Tcopy(H5T_NATIVE_UINT16));
    case DType::uint32: return Hid(H5Tcopy(H5T_NATIVE_UINT32));
    case DType::uint64: return Hid(H5Tcopy(H5T_NATIVE_UINT64));
    case DType::float32: return Hid(H5Tcopy(H5T_NATIVE_FLOAT));
    case DType::float64: return Hid(H5Tcopy(H5T_NATIVE_DOUBLE));
  }
  return Hid();
}

Hid stored_type(DType dtype) {
  switch (dtype) {
    case DType::bool_: return bool_enum(H5T_STD_I8LE);
    case DType::int8: return Hid(H5Tcopy(H5T_STD_I8LE));
    case DType::int16: return Hid(H5Tcopy(H5T_STD_I16LE));
    case DType::int32: return Hid(H5Tcopy(H5T_STD_I32LE));
    case DType::int64: return Hid(H5Tcopy(H5T_STD_I64LE));
    case DType::uint8: return Hid(H5Tcopy(H5T_STD_U8LE));
    case DType::uint16: return Hid(H5Tcopy(H5T_STD_U16LE));
    case DType::uint32: return Hid(H5Tcopy(H5T_STD_U32LE));
    case DType::uint64: return Hid(H5Tcopy(H5T_STD_U64LE));
    case DType::float32: return Hid(H5Tcopy(H5T_IEEE_F32LE));
    case DType::float64: return Hid(H5Tcopy(H5T_IEEE_F64LE));
  }
  return Hid();
}

}  // namespace tessera::io::detail

namespace tessera::io {

void hdf5_check_cast(const std::string& path, const std::string& dataset, DType stored, DType requested) {
  if (can_cast(stored, requested, Casting::same_kind)) return;
  throw_error(ErrorKind::input,
              "dataset '" + dataset + "' in HDF5 file '" + path + "' holds " + std::string(dtype_name(stored)) +
                  ", which does not cast to " + std::string(dtype_name(requested)) + " under NumPy's same_kind rule",
              "read it as " + std::string(dtype_name(stored)) + " and convert explicitly (astype) if the loss is intended");
}

}  // namespace tessera::io
