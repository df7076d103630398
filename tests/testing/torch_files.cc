#include "testing/torch_files.h"

#include <zip.h>

#include <cstring>
#include <map>
#include <stdexcept>

namespace verdict::testing {
namespace {

std::string le(uint64_t v, size_t n) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i) s[i] = static_cast<char>((v >> (8 * i)) & 0xff);
  return s;
}

}  // namespace

PickleWriter& PickleWriter::str(const std::string& s) { return op('X').raw(le(s.size(), 4)).raw(s); }

PickleWriter& PickleWriter::integer(int64_t v) {
  if (v >= 0 && v < 256) return op('K').raw(le(static_cast<uint64_t>(v), 1));
  if (v >= 0 && v < 65536) return op('M').raw(le(static_cast<uint64_t>(v), 2));
  if (v >= INT32_MIN && v <= INT32_MAX) return op('J').raw(le(static_cast<uint32_t>(v), 4));
  return op('\x8a').raw(le(8, 1)).raw(le(static_cast<uint64_t>(v), 8));
}

PickleWriter& PickleWriter::global(const std::string& module, const std::string& name) {
  return op('c').raw(module + "\n" + name + "\n");
}

PickleWriter& PickleWriter::put(uint32_t i) {
  return i < 256 ? op('q').raw(le(i, 1)) : op('r').raw(le(i, 4));
}

PickleWriter& PickleWriter::get(uint32_t i) {
  return i < 256 ? op('h').raw(le(i, 1)) : op('j').raw(le(i, 4));
}

std::string torch_state_dict_pickle(const std::vector<TorchTensorSpec>& tensors, bool legacy) {
  PickleWriter w;
  w.proto().global("collections", "OrderedDict").op(')').op('R').op('(');
  for (const auto& t : tensors) {
    w.str(t.name).global("torch._utils", "_rebuild_tensor_v2").op('(');
    w.op('(').str("storage").global("torch", t.storage_type).str(t.key).str("cpu").integer(
        static_cast<int64_t>(t.storage_numel));
    if (legacy) w.op('N');
    w.op('t').op('Q').integer(static_cast<int64_t>(t.offset));
    w.op('(');
    for (int64_t d : t.shape) w.integer(d);
    w.op('t').op('(');
    for (int64_t s : t.stride) w.integer(s);
    w.op('t').op('\x89').global("collections", "OrderedDict").op(')').op('R').op('t').op('R');
  }
  w.op('u');
  // _metadata, set through BUILD as pickle does for an OrderedDict with a __dict__.
  w.op('}').str("_metadata").global("collections", "OrderedDict").op(')').op('R').op('s').op('b');
  return w.stop().bytes();
}

std::string torch_legacy_file(const std::string& data_pickle, const std::vector<LegacyStorage>& storages) {
  std::string out = std::string("\x80\x02\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19.", 15);
  out += PickleWriter().proto().integer(1001).stop().bytes();
  out += PickleWriter().proto().op('}').str("little_endian").op('\x88').op('s').stop().bytes();
  out += data_pickle;
  PickleWriter keys;
  keys.proto().op(']').op('(');
  for (const auto& s : storages) keys.str(s.key);
  out += keys.op('e').stop().bytes();
  for (const auto& s : storages) out += le(s.count, 8) + s.bytes;
  return out;
}

std::string zip_archive(const std::vector<std::pair<std::string, std::string>>& records) {
  zip_error_t err;
  zip_error_init(&err);
  zip_source_t* src = zip_source_buffer_create(nullptr, 0, 0, &err);
  zip_t* za = zip_open_from_source(src, ZIP_TRUNCATE, &err);
  if (!za) throw std::runtime_error("zip_open_from_source failed");
  zip_source_keep(src);
  for (const auto& [name, bytes] : records) {
    zip_source_t* s = zip_source_buffer(za, bytes.data(), bytes.size(), 0);
    const zip_int64_t idx = zip_file_add(za, name.c_str(), s, ZIP_FL_ENC_UTF_8);
    if (idx < 0) throw std::runtime_error("zip_file_add failed");
    zip_set_file_compression(za, static_cast<zip_uint64_t>(idx), ZIP_CM_STORE, 0);
  }
  if (zip_close(za) != 0) throw std::runtime_error("zip_close failed");
  zip_stat_t st;
  zip_source_stat(src, &st);
  std::string out(st.size, '\0');
  zip_source_open(src);
  zip_source_read(src, out.data(), out.size());
  zip_source_close(src);
  zip_source_free(src);
  return out;
}

std::string torch_zip_file(const std::string& data_pickle,
                           const std::vector<std::pair<std::string, std::string>>& storages,
                           const std::string& archive) {
  std::vector<std::pair<std::string, std::string>> records = {{archive + "/data.pkl", data_pickle}};
  for (const auto& [key, bytes] : storages) records.emplace_back(archive + "/data/" + key, bytes);
  records.emplace_back(archive + "/version", "3\n");
  return zip_archive(records);
}

}  // namespace verdict::testing
