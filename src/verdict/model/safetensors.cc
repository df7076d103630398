#include "verdict/model/safetensors.h"

#include <fcntl.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <bit>
#include <cstring>
#include <fstream>
#include <cerrno>
#include <limits>

namespace verdict::model {
namespace {

using nlohmann::json;

// A header larger than this is not a model we serve (the reference library uses 100 MB).
constexpr size_t kMaxHeaderBytes = 100u << 20;
constexpr size_t kMaxRank = 8;

struct DTypeName {
  const char* name;
  DType dtype;
  size_t size;
};
constexpr DTypeName kDTypes[] = {
    {"F64", DType::kF64, 8},  {"F32", DType::kF32, 4},   {"F16", DType::kF16, 2},
    {"BF16", DType::kBF16, 2}, {"I64", DType::kI64, 8},  {"I32", DType::kI32, 4},
    {"I16", DType::kI16, 2},  {"I8", DType::kI8, 1},     {"U8", DType::kU8, 1},
    {"BOOL", DType::kBool, 1}, {"F8_E4M3", DType::kF8E4M3, 1}, {"F8_E5M2", DType::kF8E5M2, 1},
};

Error corrupt(const std::string& source, const std::string& what) {
  return make_error(ErrorCode::kCorruptModel, source + ": " + what);
}

bool mul_overflows(size_t a, size_t b, size_t* out) { return __builtin_mul_overflow(a, b, out); }

}  // namespace

size_t dtype_size(DType dtype) {
  for (const auto& d : kDTypes)
    if (d.dtype == dtype) return d.size;
  return 0;
}

std::string_view dtype_name(DType dtype) {
  for (const auto& d : kDTypes)
    if (d.dtype == dtype) return d.name;
  return "?";
}

size_t TensorInfo::num_elements() const {
  size_t n = 1;
  for (size_t d : shape) n *= d;
  return n;
}

Result<std::map<std::string, TensorInfo>> parse_safetensors_header(
    std::string_view header, size_t data_size, const std::string& source,
    std::map<std::string, std::string>* metadata) {
  json j = json::parse(header.begin(), header.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return corrupt(source, "header is not valid JSON");
  if (!j.is_object()) return corrupt(source, "header must be a JSON object");

  std::map<std::string, TensorInfo> tensors;
  for (const auto& [name, entry] : j.items()) {
    if (name == "__metadata__") {
      if (!entry.is_object()) return corrupt(source, "'__metadata__' must be an object of strings");
      for (const auto& [k, v] : entry.items()) {
        if (!v.is_string()) {
          return corrupt(source, "'__metadata__' value for '" + k + "' must be a string");
        }
        if (metadata) (*metadata)[k] = v.get<std::string>();
      }
      continue;
    }
    const std::string where = "tensor '" + name + "'";
    if (!entry.is_object()) return corrupt(source, where + " must be an object");
    TensorInfo info;

    auto dt = entry.find("dtype");
    if (dt == entry.end() || !dt->is_string()) return corrupt(source, where + " has no field 'dtype'");
    const std::string dname = dt->get<std::string>();
    bool known = false;
    for (const auto& d : kDTypes) {
      if (dname == d.name) {
        info.dtype = d.dtype;
        known = true;
      }
    }
    if (!known) return corrupt(source, where + " has unknown dtype '" + dname + "'");

    auto sh = entry.find("shape");
    if (sh == entry.end() || !sh->is_array() || sh->size() > kMaxRank) {
      return corrupt(source, where + " field 'shape' must be an array of at most " +
                                 std::to_string(kMaxRank) + " sizes");
    }
    size_t elements = 1;
    for (const auto& d : *sh) {
      if (!d.is_number_unsigned()) {
        return corrupt(source, where + " field 'shape' has a non-integer or negative size " + d.dump());
      }
      const auto v = d.get<uint64_t>();
      info.shape.push_back(v);
      if (mul_overflows(elements, v, &elements)) {
        return corrupt(source, where + " field 'shape' overflows");
      }
    }
    size_t bytes = 0;
    if (mul_overflows(elements, dtype_size(info.dtype), &bytes)) {
      return corrupt(source, where + " field 'shape' overflows");
    }

    auto off = entry.find("data_offsets");
    if (off == entry.end() || !off->is_array() || off->size() != 2 || !(*off)[0].is_number_unsigned() ||
        !(*off)[1].is_number_unsigned()) {
      return corrupt(source, where + " field 'data_offsets' must be [begin, end]");
    }
    info.begin = (*off)[0].get<uint64_t>();
    info.end = (*off)[1].get<uint64_t>();
    if (info.begin > info.end || info.end > data_size) {
      return corrupt(source, where + " field 'data_offsets' [" + std::to_string(info.begin) + ", " +
                                 std::to_string(info.end) + "] lies outside the data section of " +
                                 std::to_string(data_size) + " bytes");
    }
    if (info.end - info.begin != bytes) {
      return corrupt(source, where + " field 'data_offsets' spans " +
                                 std::to_string(info.end - info.begin) + " bytes but shape × dtype " +
                                 dname + " needs " + std::to_string(bytes));
    }
    tensors.emplace(name, std::move(info));
  }

  // Tensors must tile the data section: no overlap, no hole (as the reference reader demands).
  std::vector<std::pair<size_t, const std::string*>> order;
  for (const auto& [name, info] : tensors) order.emplace_back(info.begin, &name);
  std::sort(order.begin(), order.end(), [&](const auto& a, const auto& b) {
    const auto& ia = tensors.at(*a.second);
    const auto& ib = tensors.at(*b.second);
    return std::tie(ia.begin, ia.end) < std::tie(ib.begin, ib.end);
  });
  size_t expected = 0;
  for (const auto& [begin, name] : order) {
    const auto& info = tensors.at(*name);
    if (info.begin < expected) {
      return corrupt(source, "tensor '" + *name + "' field 'data_offsets' overlaps another tensor");
    }
    if (info.begin > expected) {
      return corrupt(source, "tensor '" + *name + "' field 'data_offsets' leaves a hole of " +
                                 std::to_string(info.begin - expected) + " bytes before it");
    }
    expected = info.end;
  }
  if (expected != data_size) {
    return corrupt(source, "the data section has " + std::to_string(data_size) +
                               " bytes but the tensors cover " + std::to_string(expected));
  }
  return tensors;
}

Result<SafetensorsFile> SafetensorsFile::open(const std::filesystem::path& path) {
  auto file = MappedFile::open(path);
  if (!file.ok()) return file.error();
  return parse(std::move(*file), path.string());
}

Result<SafetensorsFile> SafetensorsFile::parse(MappedFile file, const std::string& source) {
  if (file.size() < 8) {
    return corrupt(source, "file is " + std::to_string(file.size()) +
                               " bytes, too short for the 8-byte header length");
  }
  uint64_t n = 0;
  std::memcpy(&n, file.data(), 8);
  if constexpr (std::endian::native == std::endian::big) n = __builtin_bswap64(n);
  if (n > kMaxHeaderBytes || n > file.size() - 8) {
    return corrupt(source, "header length " + std::to_string(n) + " exceeds the file size of " +
                               std::to_string(file.size()) + " bytes");
  }
  SafetensorsFile st;
  st.source_ = source;
  const std::string_view header(reinterpret_cast<const char*>(file.data()) + 8, n);
  auto tensors = parse_safetensors_header(header, file.size() - 8 - n, source, &st.metadata_);
  if (!tensors.ok()) return tensors.error();
  st.tensors_ = std::move(*tensors);
  st.data_ = file.data() + 8 + n;
  st.file_ = std::move(file);
  return st;
}

const TensorInfo* SafetensorsFile::find(const std::string& name) const {
  auto it = tensors_.find(name);
  return it == tensors_.end() ? nullptr : &it->second;
}

float half_to_float(uint16_t h) {
  const uint32_t sign = (h & 0x8000u) << 16;
  uint32_t exp = (h >> 10) & 0x1f;
  uint32_t mant = h & 0x3ffu;
  uint32_t bits;
  if (exp == 0) {
    if (mant == 0) {
      bits = sign;
    } else {  // subnormal: renormalise
      exp = 127 - 15 + 1;
      while ((mant & 0x400u) == 0) {
        mant <<= 1;
        --exp;
      }
      mant &= 0x3ffu;
      bits = sign | (exp << 23) | (mant << 13);
    }
  } else if (exp == 0x1f) {
    bits = sign | 0x7f800000u | (mant << 13);
  } else {
    bits = sign | ((exp + 127 - 15) << 23) | (mant << 13);
  }
  return std::bit_cast<float>(bits);
}

float bf16_to_float(uint16_t b) { return std::bit_cast<float>(static_cast<uint32_t>(b) << 16); }

uint16_t float_to_bf16(float f) {
  uint32_t bits = std::bit_cast<uint32_t>(f);
  if ((bits & 0x7fffffffu) > 0x7f800000u) return static_cast<uint16_t>((bits >> 16) | 0x40);  // NaN
  bits += 0x7fffu + ((bits >> 16) & 1u);
  return static_cast<uint16_t>(bits >> 16);
}

uint16_t float_to_half(float f) {
  const uint32_t bits = std::bit_cast<uint32_t>(f);
  const uint16_t sign = static_cast<uint16_t>((bits >> 16) & 0x8000u);
  const uint32_t abs = bits & 0x7fffffffu;
  if (abs > 0x7f800000u) return sign | 0x7e00u;               // NaN
  if (abs >= 0x477ff000u) return sign | 0x7c00u;              // overflow -> inf
  if (abs < 0x33000001u) return sign;                         // underflow -> 0
  int exp = static_cast<int>(abs >> 23);
  uint32_t mant = (abs & 0x7fffffu) | 0x800000u;
  if (exp < 113) {  // subnormal half
    const int shift = 126 - exp;
    uint32_t v = mant >> shift;
    const uint32_t rem = mant & ((1u << shift) - 1);
    const uint32_t half = 1u << (shift - 1);
    if (rem > half || (rem == half && (v & 1u))) ++v;
    return sign | static_cast<uint16_t>(v);
  }
  uint32_t v = (static_cast<uint32_t>(exp - 112) << 10) | ((mant >> 13) & 0x3ffu);
  const uint32_t rem = mant & 0x1fffu;
  if (rem > 0x1000u || (rem == 0x1000u && (v & 1u))) ++v;
  return sign | static_cast<uint16_t>(v);
}

Status write_safetensors(const std::filesystem::path& path, const std::vector<TensorToWrite>& tensors,
                         DType dtype, const std::map<std::string, std::string>& metadata) {
  if (dtype != DType::kF32 && dtype != DType::kF16 && dtype != DType::kBF16) {
    return make_error(ErrorCode::kInvalidArgument, "write_safetensors: only F32, F16, BF16");
  }
  const size_t es = dtype_size(dtype);
  json header = json::object();
  if (!metadata.empty()) header["__metadata__"] = metadata;
  size_t offset = 0;
  for (const auto& t : tensors) {
    size_t n = 1;
    for (size_t d : t.shape) n *= d;
    header[t.name] = {{"dtype", std::string(dtype_name(dtype))},
                      {"shape", t.shape},
                      {"data_offsets", {offset, offset + n * es}}};
    offset += n * es;
  }
  std::string h = header.dump();
  while ((h.size() + 8) % 8 != 0) h.push_back(' ');  // keep the data section 8-byte aligned
  const auto tmp = path.string() + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) return make_error(ErrorCode::kInternal, tmp + ": cannot write");
    uint64_t n = h.size();
    out.write(reinterpret_cast<const char*>(&n), 8);
    out.write(h.data(), static_cast<std::streamsize>(h.size()));
    // Data in the order the offsets were assigned.
    for (const auto& t : tensors) {
      size_t count = 1;
      for (size_t d : t.shape) count *= d;
      if (dtype == DType::kF32) {
        out.write(reinterpret_cast<const char*>(t.data), static_cast<std::streamsize>(count * 4));
      } else {
        std::vector<uint16_t> buf(count);
        for (size_t i = 0; i < count; ++i)
          buf[i] = dtype == DType::kF16 ? float_to_half(t.data[i]) : float_to_bf16(t.data[i]);
        out.write(reinterpret_cast<const char*>(buf.data()), static_cast<std::streamsize>(count * 2));
      }
    }
    if (!out) return make_error(ErrorCode::kInternal, tmp + ": write failed");
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) return make_error(ErrorCode::kInternal, path.string() + ": " + ec.message());
  return {};
}

Status write_safetensors_raw(const std::filesystem::path& path, const std::vector<RawTensorToWrite>& tensors,
                             const std::map<std::string, std::string>& metadata) {
  json header = json::object();
  if (!metadata.empty()) header["__metadata__"] = metadata;
  size_t offset = 0;
  for (const auto& t : tensors) {
    if (t.name == "__metadata__" || header.contains(t.name)) {
      return make_error(ErrorCode::kInvalidArgument, path.string() + ": tensor name '" + t.name +
                                                         "' is reserved or repeated");
    }
    size_t n = dtype_size(t.dtype);
    for (size_t d : t.shape) n *= d;
    header[t.name] = {{"dtype", std::string(dtype_name(t.dtype))},
                      {"shape", t.shape},
                      {"data_offsets", {offset, offset + n}}};
    offset += n;
  }
  std::string h = header.dump();
  while ((h.size() + 8) % 8 != 0) h.push_back(' ');  // keep the data section 8-byte aligned
  const std::string tmp = path.string() + ".tmp-" + std::to_string(::getpid());
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return make_error(ErrorCode::kInternal, tmp + ": cannot create: " + std::strerror(errno));
  auto write_all = [fd](const void* p, size_t n) {
    const auto* c = static_cast<const char*>(p);
    while (n > 0) {
      const ssize_t k = ::write(fd, c, n);
      if (k < 0 && errno == EINTR) continue;
      if (k <= 0) return false;
      c += k;
      n -= static_cast<size_t>(k);
    }
    return true;
  };
  unsigned char len[8];
  for (int i = 0; i < 8; ++i) len[i] = static_cast<unsigned char>((static_cast<uint64_t>(h.size()) >> (8 * i)) & 0xff);
  bool ok = write_all(len, 8) && write_all(h.data(), h.size());
  for (const auto& t : tensors) {
    if (!ok) break;
    size_t n = dtype_size(t.dtype);
    for (size_t d : t.shape) n *= d;
    ok = write_all(t.data, n);
  }
  const int err = errno;
  ok = ok && ::fsync(fd) == 0;
  ::close(fd);
  if (!ok) {
    ::unlink(tmp.c_str());
    return make_error(ErrorCode::kInternal, tmp + ": write failed: " + std::strerror(err));
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) {
    ::unlink(tmp.c_str());
    return make_error(ErrorCode::kInternal, path.string() + ": " + ec.message());
  }
  return {};
}

}  // namespace verdict::model
