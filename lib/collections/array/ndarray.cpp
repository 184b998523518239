// NDArray (the dense local result of compute()), chunk specifications, and
// NumPy's printing (precision 8, points aligned, rows wrapped at 75
// characters), summarised with `...` above 1,000 elements.
#include "collections/array/expr.hpp"

#include <tessera/error.hpp>
#include <tessera/size.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <ostream>

namespace tessera::array {

// ---- chunks ----------------------------------------------------------------

ChunkSpec::ChunkSpec(const char* text) {
  if (std::string_view(text) != "auto") {
    throw InputError(std::string("chunks \"") + text + "\" is not understood (give \"auto\", a block shape or sizes)");
  }
}

namespace {

std::uint64_t default_chunk_bytes() {
  if (const char* env = std::getenv("TESSERA_ARRAY_CHUNK_SIZE"); env && *env) return parse_size(env);
  return 128ull << 20;
}

std::vector<std::int64_t> regular(std::int64_t length, std::int64_t block) {
  std::vector<std::int64_t> sizes;
  if (length == 0) return {0};
  for (std::int64_t start = 0; start < length; start += block) sizes.push_back(std::min(block, length - start));
  return sizes;
}

}  // namespace

ChunkSizes ChunkSpec::resolve(const Shape& shape, DType dtype) const {
  using detail::shape_str;
  const std::size_t nd = shape.size();
  ChunkSizes out(nd);
  if (explicit_) {
    if (sizes_.size() != nd) {
      throw InputError("chunks have " + std::to_string(sizes_.size()) + " axes but the shape " + shape_str(shape) +
                       " has " + std::to_string(nd));
    }
    for (std::size_t d = 0; d < nd; ++d) {
      std::int64_t total = 0;
      for (std::int64_t s : sizes_[d]) {
        if (s < 0) throw InputError("chunk sizes must not be negative (axis " + std::to_string(d) + ")");
        total += s;
      }
      if (total != shape[d]) {
        throw InputError("chunks along axis " + std::to_string(d) + " add up to " + std::to_string(total) +
                         " but the shape " + shape_str(shape) + " has " + std::to_string(shape[d]));
      }
      out[d] = sizes_[d].empty() ? std::vector<std::int64_t>{0} : sizes_[d];
    }
    return out;
  }
  if (!block_.empty()) {
    if (!every_axis_ && block_.size() != nd) {
      throw InputError("chunk shape " + shape_str(block_) + " does not match the array's shape " + shape_str(shape));
    }
    for (std::size_t d = 0; d < nd; ++d) {
      std::int64_t b = every_axis_ ? block_[0] : block_[d];
      if (b == -1 || b > shape[d]) b = std::max<std::int64_t>(shape[d], 1);
      if (b <= 0) throw InputError("chunk lengths must be positive, got " + std::to_string(b) + " for axis " + std::to_string(d));
      out[d] = regular(shape[d], b);
    }
    return out;
  }
  // "auto": blocks near the byte target, as square as the shape allows.
  const std::uint64_t target = target_bytes_ ? target_bytes_ : default_chunk_bytes();
  double budget = std::max(1.0, static_cast<double>(target) / static_cast<double>(itemsize(dtype)));
  std::vector<std::size_t> by_length(nd);
  for (std::size_t d = 0; d < nd; ++d) by_length[d] = d;
  std::sort(by_length.begin(), by_length.end(), [&](std::size_t a, std::size_t b) { return shape[a] < shape[b]; });
  for (std::size_t k = 0; k < nd; ++k) {
    const std::size_t d = by_length[k];
    const double side = std::floor(std::pow(budget, 1.0 / static_cast<double>(nd - k)) + 1e-9);
    const std::int64_t b = std::clamp<std::int64_t>(static_cast<std::int64_t>(side), 1, std::max<std::int64_t>(shape[d], 1));
    out[d] = regular(shape[d], b);
    budget = std::max(1.0, budget / static_cast<double>(b));
  }
  return out;
}

// ---- NDArray ---------------------------------------------------------------

NDArray::NDArray(DType dtype, Shape shape) : dtype_(dtype), shape_(std::move(shape)) {
  data_ = std::make_shared<Buffer>(static_cast<std::size_t>(detail::product(shape_)) * itemsize(dtype_));
}

NDArray::NDArray(DType dtype, Shape shape, Buffer data)
    : dtype_(dtype), shape_(std::move(shape)), data_(std::make_shared<Buffer>(std::move(data))) {
  const auto want = static_cast<std::size_t>(detail::product(shape_)) * itemsize(dtype_);
  if (data_->size() != want) {
    throw InputError("a buffer of " + std::to_string(data_->size()) + " bytes cannot hold shape " +
                     detail::shape_str(shape_) + " of " + std::string(dtype_name(dtype_)) + " (" +
                     std::to_string(want) + " bytes)");
  }
}

std::int64_t NDArray::size() const { return detail::product(shape_); }

Shape NDArray::strides() const {
  Shape s(shape_.size(), static_cast<std::int64_t>(itemsize(dtype_)));
  for (std::size_t d = shape_.size(); d-- > 1;) s[d - 1] = s[d] * shape_[d];
  return s;
}

const Buffer& NDArray::buffer() const {
  static const Buffer empty;
  return data_ ? *data_ : empty;
}

void NDArray::check_type(DType wanted) const {
  if (wanted != dtype_) {
    throw TypeError("NDArray holds " + std::string(dtype_name(dtype_)) + ", not " + std::string(dtype_name(wanted)));
  }
}

void NDArray::check_size(std::size_t given, std::int64_t wanted) {
  if (static_cast<std::int64_t>(given) != wanted) {
    throw InputError(std::to_string(given) + " values cannot fill an array of " + std::to_string(wanted) + " elements");
  }
}

double NDArray::at(std::int64_t flat) const {
  if (flat < 0 || flat >= size()) {
    throw InputError("index " + std::to_string(flat) + " is out of bounds for an array of " + std::to_string(size()) +
                     " elements");
  }
  return visit_dtype(dtype_, [&](auto t) {
    using T = decltype(t);
    return static_cast<double>(data_->as<T>()[static_cast<std::size_t>(flat)]);
  });
}

template <class T>
T NDArray::item() const {
  if (size() != 1) {
    throw InputError("item() needs an array of one element, this one has shape " + detail::shape_str(shape_));
  }
  return visit_dtype(dtype_, [&](auto t) {
    using S = decltype(t);
    return static_cast<T>(data_->as<S>()[0]);
  });
}
template double NDArray::item<double>() const;
template float NDArray::item<float>() const;
template std::int64_t NDArray::item<std::int64_t>() const;
template std::int32_t NDArray::item<std::int32_t>() const;
template std::uint64_t NDArray::item<std::uint64_t>() const;
template std::uint8_t NDArray::item<std::uint8_t>() const;
template bool NDArray::item<bool>() const;

NDArray NDArray::astype(DType dtype) const {
  NDArray out(dtype, shape_);
  if (size() > 0) detail::cast_kernel(dtype_, data_->data(), dtype, out.data_->data(), size());
  return out;
}

namespace {

std::string shortest(double v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v < 0 ? "-inf" : "inf";
  char buf[64];
  auto end = std::to_chars(buf, buf + sizeof buf, v).ptr;
  return std::string(buf, end);
}

// NumPy's float formatting (precision 8, floatmode "maxprec"): each value's
// shortest round-trip digits, cut to 8 after the point; positional with the
// points aligned, or scientific when the magnitudes span too much.
// Where a formatted number's mantissa ends: at its exponent, else its end.
std::size_t mantissa_end(const std::string& s) {
  const auto e = s.find('e');
  return e == std::string::npos ? s.size() : e;
}

template <class F>
std::string digits(F v, std::chars_format format) {
  char buf[64];
  std::string out(buf, std::to_chars(buf, buf + sizeof buf, v, format).ptr);
  const auto dot = out.find('.');
  if (dot != std::string::npos && mantissa_end(out) - dot - 1 > 8) {  // more than NumPy shows: round to 8, drop trailing zeros
    out.assign(buf, std::to_chars(buf, buf + sizeof buf, v, format, 8).ptr);
    const auto e = mantissa_end(out);
    std::size_t last = e;
    while (last > 0 && out[last - 1] == '0') --last;
    out.erase(last, e - last);
  }
  return out;
}

std::vector<std::string> format_floats(const std::vector<double>& values, bool f32) {
  double max_abs = 0, min_abs = std::numeric_limits<double>::infinity();
  for (double v : values) {
    if (!std::isfinite(v) || v == 0) continue;
    max_abs = std::max(max_abs, std::fabs(v));
    min_abs = std::min(min_abs, std::fabs(v));
  }
  const bool any = max_abs > 0;
  const bool scientific = any && (max_abs >= 1e8 || min_abs < 1e-4 || max_abs / min_abs > 1e3);
  const auto format = scientific ? std::chars_format::scientific : std::chars_format::fixed;
  std::vector<std::string> raw;
  raw.reserve(values.size());
  std::size_t frac = 0;
  for (double v : values) {
    if (!std::isfinite(v)) {
      raw.push_back(shortest(v));
      continue;
    }
    std::string s = f32 ? digits(static_cast<float>(v), format) : digits(v, format);
    if (s.find('.') == std::string::npos) s.insert(mantissa_end(s), 1, '.');
    frac = std::max(frac, mantissa_end(s) - s.find('.') - 1);
    raw.push_back(std::move(s));
  }
  // Scientific mantissas are padded with zeros ("1.0e+00"), positional fractions with spaces.
  for (auto& s : raw) {
    const auto dot = s.find('.');
    if (dot == std::string::npos) continue;  // nan, inf
    const auto end = mantissa_end(s);
    const std::size_t have = end - dot - 1;
    if (have < frac) s.insert(end, frac - have, scientific ? '0' : ' ');
  }
  return raw;
}

struct Printer {
  const NDArray& a;
  bool summarise;
  std::vector<std::string> text;  // per element shown, by flat index (others empty)
  std::size_t width = 0;

  static constexpr std::int64_t edge = 3;

  bool shown(std::span<const std::int64_t> index) const {
    if (!summarise) return true;
    for (std::size_t d = 0; d < index.size(); ++d) {
      if (index[d] >= edge && index[d] < a.shape()[d] - edge) return false;
    }
    return true;
  }

  void prepare() {
    const std::int64_t n = a.size();
    std::vector<std::int64_t> flat;
    Shape index(a.shape().size(), 0);
    for (std::int64_t i = 0; i < n; ++i) {
      if (shown(index)) flat.push_back(i);
      detail::next_index(index, a.shape());
    }
    text.assign(static_cast<std::size_t>(n), {});
    std::vector<std::string> formatted;
    if (is_float(a.dtype())) {
      std::vector<double> v;
      for (auto i : flat) v.push_back(a.at(i));
      formatted = format_floats(v, a.dtype() == DType::float32);
    } else if (a.dtype() == DType::bool_) {
      for (auto i : flat) formatted.push_back(a.at(i) != 0 ? " True" : "False");
    } else {
      visit_dtype(a.dtype(), [&](auto t) {
        using T = decltype(t);
        for (auto i : flat) formatted.push_back(std::to_string(a.view<T>()[static_cast<std::size_t>(i)]));
      });
    }
    for (std::size_t k = 0; k < flat.size(); ++k) {
      width = std::max(width, formatted[k].size());
      text[static_cast<std::size_t>(flat[k])] = std::move(formatted[k]);
    }
  }

  // NumPy's _formatArray: rows wrap at 75 characters, continuation lines
  // indented under the first element; `hanging` stands for the brackets.
  std::string format(std::size_t axis, std::int64_t base, const std::string& hanging, std::size_t line_width) const {
    const Shape& shape = a.shape();
    const std::int64_t len = shape[axis];
    std::int64_t stride = 1;
    for (std::size_t d = axis + 1; d < shape.size(); ++d) stride *= shape[d];
    const bool cut = summarise && len > 2 * edge;
    std::string s;
    if (axis + 1 == shape.size()) {
      const std::size_t element_width = line_width - 1;  // room for the ']'
      std::string line = hanging;
      auto extend = [&](const std::string& word) {
        if (line.size() + word.size() > element_width && line.size() > hanging.size()) {
          while (!line.empty() && line.back() == ' ') line.pop_back();
          s += line;
          s += '\n';
          line = hanging;
        }
        line += word;
      };
      for (std::int64_t i = 0; i < len; ++i) {
        if (cut && i == edge) {
          extend("...");
          line += ' ';
          i = len - edge - 1;
          continue;
        }
        const std::string& text_i = text[static_cast<std::size_t>(base + i)];
        std::string word(width - text_i.size(), ' ');
        word += text_i;
        extend(word);
        if (i + 1 < len) line += ' ';
      }
      s += line;
    } else {
      const std::string next = hanging + ' ';
      const std::string between(shape.size() - axis - 1, '\n');
      for (std::int64_t i = 0; i < len; ++i) {
        if (cut && i == edge) {
          s += hanging;
          s += "...";
          s += between;
          i = len - edge - 1;
          continue;
        }
        s += hanging;
        s += format(axis + 1, base + i * stride, next, line_width - 1);
        if (i + 1 < len) s += between;
      }
    }
    std::string out = "[";
    out.append(s, hanging.size());
    out += ']';
    return out;
  }
};

}  // namespace

namespace {
// A 0-d float prints as NumPy prints it, which is Python's repr: shortest
// round-trip digits, positional unless the exponent is below -4 or 16 and up.
template <class F>
std::string python_repr(F v) {
  if (!std::isfinite(v)) return shortest(static_cast<double>(v));
  char buf[64];
  const std::string sci(buf, std::to_chars(buf, buf + sizeof buf, v, std::chars_format::scientific).ptr);
  const int exponent = std::atoi(sci.c_str() + sci.find('e') + 1);
  if (exponent < -4 || exponent >= 16) return sci;
  std::string fixed(buf, std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed).ptr);
  if (fixed.find('.') == std::string::npos) fixed += ".0";
  return fixed;
}
}  // namespace

std::string NDArray::str() const {
  if (shape_.empty() && is_float(dtype_)) {
    return dtype_ == DType::float32 ? python_repr(static_cast<float>(at(0))) : python_repr(at(0));
  }
  if (shape_.empty()) {
    NDArray flat = *this;
    flat.shape_ = {1};
    Printer p{flat, false, {}, 0};
    p.prepare();
    return p.text[0].find_first_not_of(' ') == std::string::npos ? p.text[0]
                                                                  : p.text[0].substr(p.text[0].find_first_not_of(' '));
  }
  if (size() == 0) return "[]";
  Printer p{*this, size() > 1000, {}, 0};
  p.prepare();
  return p.format(0, 0, " ", 75);
}

std::ostream& operator<<(std::ostream& os, const NDArray& a) { return os << a.str(); }

}  // namespace tessera::array
