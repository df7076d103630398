#include "verdict/model/torch_checkpoint.h"

#include <zip.h>

#include <cstring>
#include <string_view>

#include "verdict/common/file_util.h"
#include "verdict/model/pickle_reader.h"

namespace verdict::model {
namespace {

using Kind = PickleValue::Kind;

struct StorageType {
  const char* name;
  DType dtype;
};
constexpr StorageType kStorageTypes[] = {
    {"FloatStorage", DType::kF32}, {"HalfStorage", DType::kF16},  {"BFloat16Storage", DType::kBF16},
    {"DoubleStorage", DType::kF64}, {"LongStorage", DType::kI64}, {"IntStorage", DType::kI32},
    {"ShortStorage", DType::kI16}, {"CharStorage", DType::kI8},   {"ByteStorage", DType::kU8},
    {"BoolStorage", DType::kBool},
};

// The legacy format's first pickle: the int 0x1950a86a20f9469cfc6c, little-endian.
constexpr unsigned char kLegacyMagic[] = {0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19};
constexpr int64_t kLegacyProtocolVersion = 1001;

enum Tag { kOrderedDict = 1, kRebuildTensorV2, kRebuildTensor, kRebuildParameter, kStorageTypeTag, kStorageRef, kTensorTag };

Error corrupt(const std::string& source, const std::string& what) {
  return make_error(ErrorCode::kCorruptModel, source + ": " + what);
}

bool is_int(const PickleValue* v) { return v->kind == Kind::kInt; }
bool is_object(const PickleValue* v, int tag) { return v->kind == Kind::kObject && v->tag == tag; }

std::string describe(const PickleValue* v) {
  if (v->kind == Kind::kObject) return v->s;
  return std::string(pickle_kind_name(v->kind));
}

}  // namespace

const char* torch_storage_name(DType dtype) {
  for (const auto& t : kStorageTypes)
    if (t.dtype == dtype) return t.name;
  return "?";
}

size_t TorchTensor::num_elements() const {
  size_t n = 1;
  for (size_t d : shape) n *= d;
  return n;
}

bool TorchTensor::contiguous() const {
  size_t expected = 1;
  for (size_t i = shape.size(); i-- > 0;) {
    if (shape[i] != 1 && strides[i] != expected) return false;
    expected *= shape[i];
  }
  return true;
}

// Turns the data pickle into tensors, and the storages it names into TorchCheckpoint::Storage.
class TorchCheckpointParser : public PickleHooks {
 public:
  TorchCheckpointParser(TorchCheckpoint& ckpt, bool legacy) : ckpt_(ckpt), legacy_(legacy) {}

  Result<PickleValue*> find_global(PickleReader& r, const std::string& module,
                                   const std::string& name) override {
    const std::string full = module + "." + name;
    if (full == "collections.OrderedDict") return r.make_object(kOrderedDict, full);
    if (full == "torch._utils._rebuild_tensor_v2") return r.make_object(kRebuildTensorV2, full);
    if (full == "torch._utils._rebuild_tensor") return r.make_object(kRebuildTensor, full);
    if (full == "torch._utils._rebuild_parameter") return r.make_object(kRebuildParameter, full);
    if (module == "torch") {
      for (const auto& t : kStorageTypes) {
        if (name == t.name) return r.make_object(kStorageTypeTag, full, static_cast<int64_t>(t.dtype));
      }
    }
    return r.error("refers to global '" + full +
                   "', which a plain state dict does not use; refusing to load it (Verdict never "
                   "imports or runs code from a checkpoint)");
  }

  Result<PickleValue*> reduce(PickleReader& r, PickleValue* callable, PickleValue* args) override {
    const auto& a = args->items;
    if (is_object(callable, kOrderedDict)) {
      if (!a.empty()) return r.error("collections.OrderedDict called with arguments");
      return r.make(Kind::kDict);
    }
    if (is_object(callable, kRebuildParameter)) {
      if (a.size() < 1 || !is_object(a[0], kTensorTag)) {
        return r.error("torch._utils._rebuild_parameter called without a tensor");
      }
      return a[0];
    }
    if (is_object(callable, kRebuildTensorV2) || is_object(callable, kRebuildTensor)) {
      return rebuild_tensor(r, callable->s, a, is_object(callable, kRebuildTensorV2));
    }
    return r.error("REDUCE on " + describe(callable) + " is not allowed (only " +
                   "collections.OrderedDict and torch._utils._rebuild_* are)");
  }

  Result<PickleValue*> build(PickleReader& r, PickleValue* obj, PickleValue* state) override {
    // A state dict's OrderedDict carries `_metadata` (module versions) as its __dict__; tensors
    // may carry Python attributes. Neither matters for inference.
    if (obj->kind == Kind::kDict || is_object(obj, kTensorTag)) return obj;
    return r.error("BUILD on " + describe(obj) + " with " + describe(state) + " is not allowed");
  }

  // ('storage', torch.<Type>Storage, key, location, numel[, view_metadata (legacy)])
  Result<PickleValue*> persistent_load(PickleReader& r, PickleValue* pid) override {
    const auto& t = pid->items;
    if (pid->kind != Kind::kTuple || t.empty() || t[0]->kind != Kind::kString || t[0]->s != "storage") {
      return r.error("persistent id " + describe(pid) + " is not a ('storage', ...) tuple");
    }
    const size_t expected = legacy_ ? 6 : 5;
    if (t.size() != expected) {
      return r.error("storage persistent id has " + std::to_string(t.size()) + " items, expected " +
                     std::to_string(expected));
    }
    if (!is_object(t[1], kStorageTypeTag)) {
      return r.error("storage persistent id names type " + describe(t[1]) + ", not a torch.<Type>Storage");
    }
    if (t[2]->kind != Kind::kString || t[3]->kind != Kind::kString || !is_int(t[4]) || t[4]->i < 0) {
      return r.error("storage persistent id must be (str key, str location, int numel)");
    }
    const auto dtype = static_cast<DType>(t[1]->i);
    const std::string& key = t[2]->s;
    const auto numel = static_cast<uint64_t>(t[4]->i);
    size_t bytes = 0;
    if (__builtin_mul_overflow(numel, dtype_size(dtype), &bytes)) {
      return r.error("storage '" + key + "' claims " + std::to_string(numel) + " elements, which overflows");
    }
    auto it = storage_index_.find(key);
    size_t index;
    if (it == storage_index_.end()) {
      index = ckpt_.storages_.size();
      storage_index_[key] = index;
      TorchCheckpoint::Storage s;
      s.key = key;
      s.dtype = dtype;
      s.num_elements = numel;
      ckpt_.storages_.push_back(std::move(s));
    } else {
      index = it->second;
      const auto& s = ckpt_.storages_[index];
      if (s.dtype != dtype || s.num_elements != numel) {
        return r.error("storage '" + key + "' is referenced as " + torch_storage_name(s.dtype) + " of " +
                       std::to_string(s.num_elements) + " elements and as " + torch_storage_name(dtype) +
                       " of " + std::to_string(numel));
      }
    }
    StorageRef ref{index, 0, numel};
    if (legacy_ && t[5]->kind != Kind::kNone) {  // a view: (view_key, offset, view_size)
      const auto& v = t[5]->items;
      if (t[5]->kind != Kind::kTuple || v.size() != 3 || v[0]->kind != Kind::kString || !is_int(v[1]) ||
          !is_int(v[2]) || v[1]->i < 0 || v[2]->i < 0 ||
          static_cast<uint64_t>(v[1]->i) > numel || static_cast<uint64_t>(v[2]->i) > numel - v[1]->i) {
        return r.error("storage '" + key + "' has a view outside its " + std::to_string(numel) + " elements");
      }
      ref = StorageRef{index, static_cast<size_t>(v[1]->i), static_cast<size_t>(v[2]->i)};
    }
    refs_.push_back(ref);
    return r.make_object(kStorageRef, "storage '" + key + "'", static_cast<int64_t>(refs_.size() - 1));
  }

  Result<PickleValue*> rebuild_tensor(PickleReader& r, const std::string& fn,
                                      const std::vector<PickleValue*>& a, bool v2) {
    if (v2 ? (a.size() != 6 && a.size() != 7) : a.size() != 4) {
      return r.error(fn + " called with " + std::to_string(a.size()) + " arguments");
    }
    if (!is_object(a[0], kStorageRef)) return r.error(fn + " called with " + describe(a[0]) + ", not a storage");
    if (!is_int(a[1]) || a[1]->i < 0) return r.error(fn + ": storage offset is not a non-negative int");
    if (a[2]->kind != Kind::kTuple || a[3]->kind != Kind::kTuple || a[2]->items.size() != a[3]->items.size()) {
      return r.error(fn + ": size and stride must be tuples of the same length");
    }
    if (a[2]->items.size() > TorchCheckpoint::kMaxRank) {
      return r.error(fn + ": tensor of rank " + std::to_string(a[2]->items.size()) + " (at most " +
                     std::to_string(TorchCheckpoint::kMaxRank) + ")");
    }
    const StorageRef& ref = refs_[static_cast<size_t>(a[0]->i)];
    const auto& storage = ckpt_.storages_[ref.storage];
    TorchTensor t;
    t.dtype = storage.dtype;
    t.storage = ref.storage;
    const auto offset = static_cast<uint64_t>(a[1]->i);
    size_t numel = 1, last = 0;  // last: the highest element index the tensor reaches
    bool overflow = false;
    for (size_t i = 0; i < a[2]->items.size(); ++i) {
      const PickleValue* d = a[2]->items[i];
      const PickleValue* s = a[3]->items[i];
      if (!is_int(d) || d->i < 0 || !is_int(s) || s->i < 0) {
        return r.error(fn + ": size and stride must be non-negative ints");
      }
      t.shape.push_back(static_cast<size_t>(d->i));
      t.strides.push_back(static_cast<size_t>(s->i));
      size_t reach = 0;
      overflow |= __builtin_mul_overflow(numel, t.shape.back(), &numel);
      if (t.shape.back() > 0) {
        overflow |= __builtin_mul_overflow(t.shape.back() - 1, t.strides.back(), &reach);
        overflow |= __builtin_add_overflow(last, reach, &last);
      }
    }
    if (overflow) return r.error(fn + ": tensor size or strides overflow");
    if (numel > 0) {
      size_t end = 0;  // the highest element index the tensor reads, relative to the view
      if (__builtin_add_overflow(offset, last, &end) || end >= ref.num_elements) {
        return r.error(fn + ": tensor of shape " + shape_text(t.shape) + " with strides " + shape_text(t.strides) +
                       " at offset " + std::to_string(offset) + " reaches past the end of " +
                       storage_name(storage) + ", which has " + std::to_string(ref.num_elements));
      }
    } else if (offset > ref.num_elements) {
      return r.error(fn + ": storage offset " + std::to_string(offset) + " is outside " + storage_name(storage));
    }
    t.offset = ref.offset + static_cast<size_t>(offset);
    pending_.push_back(std::move(t));
    return r.make_object(kTensorTag, "tensor", static_cast<int64_t>(pending_.size() - 1));
  }

  // The data pickle's result: {name: tensor}.
  Status collect(PickleReader& r, const PickleValue* root) {
    if (root->kind != Kind::kDict) {
      return r.error("holds a " + describe(root) + ", not a state dict (a dict of tensors)");
    }
    for (size_t i = 0; i + 1 < root->items.size(); i += 2) {
      const PickleValue* key = root->items[i];
      const PickleValue* value = root->items[i + 1];
      if (key->kind != Kind::kString) return r.error("state dict has a " + describe(key) + " key");
      if (!is_object(value, kTensorTag)) {
        return r.error("state dict entry '" + key->s + "' is a " + describe(value) + ", not a tensor");
      }
      if (!ckpt_.by_name_.emplace(key->s, ckpt_.tensors_.size()).second) {
        return r.error("state dict has the key '" + key->s + "' twice");
      }
      TorchTensor t = pending_[static_cast<size_t>(value->i)];
      t.name = key->s;
      ckpt_.tensors_.push_back(std::move(t));
    }
    return {};
  }

  const std::map<std::string, size_t>& storage_index() const { return storage_index_; }

  static std::string storage_name(const TorchCheckpoint::Storage& s) { return "storage '" + s.key + "'"; }
  static std::string shape_text(const std::vector<size_t>& shape) {
    std::string s = "[";
    for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
    return s + "]";
  }

 private:
  struct StorageRef {
    size_t storage;
    size_t offset;
    size_t num_elements;
  };
  TorchCheckpoint& ckpt_;
  bool legacy_;
  std::map<std::string, size_t> storage_index_;
  std::vector<StorageRef> refs_;
  std::vector<TorchTensor> pending_;
};

namespace {

// Reads a zip member whole; refuses one larger than `budget` bytes (decompressed).
class ZipArchive {
 public:
  ~ZipArchive() {
    if (zip_) zip_discard(zip_);
  }
  Status open(const unsigned char* data, size_t size, const std::string& source) {
    source_ = source;
    zip_error_t err;
    zip_error_init(&err);
    zip_source_t* src = zip_source_buffer_create(data, size, 0, &err);
    if (src) {
      zip_ = zip_open_from_source(src, ZIP_RDONLY | ZIP_CHECKCONS, &err);
      if (!zip_) zip_source_free(src);
    }
    if (!zip_) {
      const std::string msg = zip_error_strerror(&err);
      zip_error_fini(&err);
      return corrupt(source, "not a readable zip archive: " + msg);
    }
    zip_error_fini(&err);
    return {};
  }
  zip_int64_t num_entries() const { return zip_get_num_entries(zip_, 0); }
  std::string name(zip_uint64_t i) const {
    const char* n = zip_get_name(zip_, i, 0);
    return n ? n : "";
  }
  bool contains(const std::string& name) const { return zip_name_locate(zip_, name.c_str(), 0) >= 0; }

  Result<std::vector<unsigned char>> read(const std::string& name, size_t budget) {
    const zip_int64_t idx = zip_name_locate(zip_, name.c_str(), 0);
    if (idx < 0) return corrupt(source_, "the archive has no record '" + name + "'");
    zip_stat_t st;
    zip_stat_init(&st);
    if (zip_stat_index(zip_, static_cast<zip_uint64_t>(idx), 0, &st) != 0 || !(st.valid & ZIP_STAT_SIZE)) {
      return corrupt(source_, "record '" + name + "': " + zip_strerror(zip_));
    }
    if (st.size > budget) {
      return corrupt(source_, "record '" + name + "' is " + std::to_string(st.size) +
                                  " bytes, more than the checkpoint can hold (" + std::to_string(budget) + ")");
    }
    zip_file_t* f = zip_fopen_index(zip_, static_cast<zip_uint64_t>(idx), 0);
    if (!f) return corrupt(source_, "record '" + name + "': " + zip_strerror(zip_));
    std::vector<unsigned char> out(static_cast<size_t>(st.size));
    size_t got = 0;
    while (got < out.size()) {
      const zip_int64_t k = zip_fread(f, out.data() + got, out.size() - got);
      if (k <= 0) break;
      got += static_cast<size_t>(k);
    }
    // Reading past the declared size tells a truncated/corrupt member (and checks its CRC).
    unsigned char extra;
    const zip_int64_t tail = got == out.size() ? zip_fread(f, &extra, 1) : -1;
    std::string err = zip_file_strerror(f);
    zip_fclose(f);
    if (got != out.size() || tail != 0) {
      return corrupt(source_, "record '" + name + "' cannot be read whole (" + err + ")");
    }
    return out;
  }

 private:
  zip_t* zip_ = nullptr;
  std::string source_;
};

}  // namespace

Result<std::unique_ptr<TorchCheckpoint>> TorchCheckpoint::open(const std::filesystem::path& path) {
  auto file = MappedFile::open(path);
  if (!file.ok()) return file.error();
  return parse(file->data(), file->size(), path.string());
}

Result<std::unique_ptr<TorchCheckpoint>> TorchCheckpoint::parse(const unsigned char* data, size_t size,
                                                                const std::string& source) {
  auto ckpt = std::unique_ptr<TorchCheckpoint>(new TorchCheckpoint());
  ckpt->source_ = source;
  size_t limit = 0;  // bytes of storages and materialised tensors this file may claim
  if (__builtin_mul_overflow(size, kMaxExpansion, &limit)) limit = SIZE_MAX;
  size_t budget = limit;
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);

  if (size >= 4 && std::memcmp(data, "PK\x03\x04", 4) == 0) {
    ckpt->zip_ = true;
    ZipArchive zip;
    if (auto st = zip.open(data, size, source); !st.ok()) return st.error();
    if (zip.num_entries() <= 0) return corrupt(source, "the zip archive is empty");
    // torch names every record "<archive>/...", <archive> being the first record's folder.
    const std::string first = zip.name(0);
    const auto slash = first.find('/');
    if (slash == std::string::npos) return corrupt(source, "zip record '" + first + "' is not inside a folder");
    const std::string prefix = first.substr(0, slash + 1);
    if (!zip.contains(prefix + "data.pkl")) {
      return corrupt(source, "the zip archive has no '" + prefix + "data.pkl' (not a torch.save checkpoint)");
    }
    if (zip.contains(prefix + "byteorder")) {
      auto order = zip.read(prefix + "byteorder", 16);
      if (!order.ok()) return order.error();
      const std::string text(order->begin(), order->end());
      if (text != "little") return corrupt(source, "byteorder is '" + text + "'; only little-endian is supported");
    }
    auto pkl = zip.read(prefix + "data.pkl", budget);
    if (!pkl.ok()) return pkl.error();
    TorchCheckpointParser parser(*ckpt, /*legacy=*/false);
    PickleReader reader(parser, source + ": " + prefix + "data.pkl");
    auto root = reader.load(std::string_view(reinterpret_cast<const char*>(pkl->data()), pkl->size()));
    if (!root.ok()) return root.error();
    if (auto st = parser.collect(reader, *root); !st.ok()) return st.error();
    for (auto& s : ckpt->storages_) {
      const size_t need = s.num_elements * dtype_size(s.dtype);
      auto rec = zip.read(prefix + "data/" + s.key, budget);
      if (!rec.ok()) return rec.error();
      if (rec->size() < need) {
        return corrupt(source, "storage '" + s.key + "' claims " + std::to_string(s.num_elements) + " " +
                                   torch_storage_name(s.dtype) + " elements (" + std::to_string(need) +
                                   " bytes) but its record has " + std::to_string(rec->size()));
      }
      budget -= rec->size();
      rec->resize(need);
      s.bytes = std::move(*rec);
      s.loaded = true;
    }
  } else if (size >= 2 && data[0] == 0x80) {
    PickleHooks plain;  // the header pickles are plain data
    PickleReader header(plain, source);
    size_t pos = 0, used = 0;
    auto next = [&](PickleReader& r) -> Result<PickleValue*> {
      auto v = r.load(bytes.substr(pos), &used);
      if (v.ok()) pos += used;
      return v;
    };
    auto magic = next(header);
    if (!magic.ok() || (*magic)->kind != Kind::kBigInt ||
        (*magic)->s != std::string(reinterpret_cast<const char*>(kLegacyMagic), sizeof kLegacyMagic)) {
      return corrupt(source, "not a PyTorch checkpoint: the legacy magic number is missing");
    }
    auto protocol = next(header);
    if (!protocol.ok()) return protocol.error();
    if ((*protocol)->kind != Kind::kInt || (*protocol)->i != kLegacyProtocolVersion) {
      return corrupt(source, "legacy checkpoint protocol version is not " + std::to_string(kLegacyProtocolVersion));
    }
    auto sys_info = next(header);
    if (!sys_info.ok()) return sys_info.error();
    if ((*sys_info)->kind == Kind::kDict) {
      const auto& it = (*sys_info)->items;
      for (size_t i = 0; i + 1 < it.size(); i += 2) {
        if (it[i]->kind == Kind::kString && it[i]->s == "little_endian" &&
            !(it[i + 1]->kind == Kind::kBool && it[i + 1]->i)) {
          return corrupt(source, "the checkpoint was saved big-endian; only little-endian is supported");
        }
      }
    }
    TorchCheckpointParser parser(*ckpt, /*legacy=*/true);
    PickleReader reader(parser, source);
    auto root = next(reader);
    if (!root.ok()) return root.error();
    if (auto st = parser.collect(reader, *root); !st.ok()) return st.error();
    auto keys = next(header);
    if (!keys.ok()) return keys.error();
    if ((*keys)->kind != Kind::kList) return corrupt(source, "the storage key list is not a list");
    std::vector<bool> seen(ckpt->storages_.size(), false);
    for (const PickleValue* key : (*keys)->items) {
      if (key->kind != Kind::kString) return corrupt(source, "the storage key list holds a non-string");
      auto it = parser.storage_index().find(key->s);
      if (it == parser.storage_index().end()) {
        return corrupt(source, "storage '" + key->s + "' is in the key list but no tensor uses it");
      }
      if (seen[it->second]) return corrupt(source, "storage '" + key->s + "' is listed twice");
      seen[it->second] = true;
      auto& s = ckpt->storages_[it->second];
      if (size - pos < 8) return corrupt(source, "data ends before the size of storage '" + s.key + "'");
      uint64_t count = 0;
      for (int i = 0; i < 8; ++i) count |= static_cast<uint64_t>(data[pos + i]) << (8 * i);
      pos += 8;
      if (count != s.num_elements) {
        return corrupt(source, "storage '" + s.key + "' has " + std::to_string(count) +
                                   " elements in the file but the pickle claims " + std::to_string(s.num_elements));
      }
      const size_t need = s.num_elements * dtype_size(s.dtype);
      if (size - pos < need) {
        return corrupt(source, "storage '" + s.key + "' needs " + std::to_string(need) + " bytes but only " +
                                   std::to_string(size - pos) + " remain in the file");
      }
      s.bytes.assign(data + pos, data + pos + need);
      s.loaded = true;
      pos += need;
    }
    for (const auto& s : ckpt->storages_) {
      if (!s.loaded) return corrupt(source, "storage '" + s.key + "' is used by a tensor but not stored");
    }
  } else if (size >= 262 && std::memcmp(data + 257, "ustar", 5) == 0) {
    return make_error(ErrorCode::kUnsupported,
                      source + ": tar-format checkpoint (PyTorch before 0.4) is not supported; re-save it "
                               "with a recent torch.save");
  } else {
    return corrupt(source, "not a PyTorch checkpoint (neither a zip archive nor a pickle stream)");
  }

  size_t total = 0;
  for (const auto& s : ckpt->storages_) total += s.bytes.size();
  for (const auto& t : ckpt->tensors_) {
    if (!t.contiguous() && __builtin_add_overflow(total, t.num_bytes(), &total)) total = SIZE_MAX;
  }
  if (total > limit) {
    return corrupt(source, "tensors would take " + std::to_string(total) + " bytes, more than " +
                               std::to_string(kMaxExpansion) + "× the file size");
  }
  return ckpt;
}

const TorchTensor* TorchCheckpoint::find(const std::string& name) const {
  auto it = by_name_.find(name);
  return it == by_name_.end() ? nullptr : &tensors_[it->second];
}

const unsigned char* TorchCheckpoint::data(const TorchTensor& t) {
  const size_t es = dtype_size(t.dtype);
  const unsigned char* base = storages_[t.storage].bytes.data() + t.offset * es;
  if (t.contiguous() || t.num_elements() == 0) return base;
  const size_t index = static_cast<size_t>(&t - tensors_.data());
  auto it = contiguous_copies_.find(index);
  if (it != contiguous_copies_.end()) return it->second.data();
  std::vector<unsigned char> out(t.num_bytes());
  std::vector<size_t> idx(t.shape.size(), 0);  // odometer over the shape, last dim fastest
  size_t src = 0;
  for (size_t n = 0, count = t.num_elements(); n < count; ++n) {
    std::memcpy(out.data() + n * es, base + src * es, es);
    for (size_t d = t.shape.size(); d-- > 0;) {
      src += t.strides[d];
      if (++idx[d] < t.shape[d]) break;
      src -= t.strides[d] * t.shape[d];
      idx[d] = 0;
    }
  }
  return contiguous_copies_.emplace(index, std::move(out)).first->second.data();
}

}  // namespace verdict::model
