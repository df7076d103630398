// pytorch_model.bin: the golden files saved by torch (both formats) read tensor for tensor like
// the safetensors copy, shared/strided storages made contiguous, and hostile pickles and
// containers refused with a message naming the problem.
#include <gtest/gtest.h>

#include <cstring>
#include <fstream>

#include "testing/testdata.h"
#include "testing/torch_files.h"
#include "verdict/common/file_util.h"
#include "verdict/model/pickle_reader.h"
#include "verdict/model/safetensors.h"
#include "verdict/model/torch_checkpoint.h"

namespace verdict::model {
namespace {

using testing::LegacyStorage;
using testing::PickleWriter;
using testing::TorchTensorSpec;

std::filesystem::path bin_dir() { return testing::testdata_dir() / "models" / "distilbert-sst2-tiny-bin"; }

std::string floats(std::initializer_list<float> v) {
  std::string s(v.size() * 4, '\0');
  std::memcpy(s.data(), std::data(v), s.size());
  return s;
}

Result<std::unique_ptr<TorchCheckpoint>> parse(const std::string& bytes) {
  return TorchCheckpoint::parse(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), "t.bin");
}

std::string error_of(const std::string& bytes) {
  auto r = parse(bytes);
  return r.ok() ? "(accepted)" : r.error().message;
}

// A legacy file whose data pickle is `pickle` (storages none).
std::string legacy_with(const std::string& pickle) { return testing::torch_legacy_file(pickle, {}); }

std::vector<float> as_floats(TorchCheckpoint& c, const std::string& name) {
  const TorchTensor* t = c.find(name);
  EXPECT_NE(t, nullptr) << name;
  if (!t) return {};
  std::vector<float> out(t->num_elements());
  std::memcpy(out.data(), c.data(*t), out.size() * 4);
  return out;
}

void expect_same_tensors_as_safetensors(const std::filesystem::path& bin) {
  auto ckpt = TorchCheckpoint::open(bin);
  ASSERT_TRUE(ckpt.ok()) << ckpt.error().message;
  auto st = SafetensorsFile::open(testing::testdata_dir() / "models" / "distilbert-sst2-tiny" / "model.safetensors");
  ASSERT_TRUE(st.ok()) << st.error().message;
  EXPECT_EQ((*ckpt)->tensors().size(), st->tensors().size());
  for (const auto& [name, info] : st->tensors()) {
    const TorchTensor* t = (*ckpt)->find(name);
    ASSERT_NE(t, nullptr) << name;
    EXPECT_EQ(t->dtype, info.dtype) << name;
    EXPECT_EQ(t->shape, info.shape) << name;
    ASSERT_EQ(t->num_bytes(), info.end - info.begin) << name;
    EXPECT_EQ(std::memcmp((*ckpt)->data(*t), st->data(info), t->num_bytes()), 0) << name;
  }
}

TEST(TorchCheckpointTest, ZipFileHoldsExactlyTheSafetensorsTensors) {
  expect_same_tensors_as_safetensors(bin_dir() / "pytorch_model.bin");
  auto c = TorchCheckpoint::open(bin_dir() / "pytorch_model.bin");
  ASSERT_TRUE(c.ok());
  EXPECT_STREQ((*c)->format(), "zip");
}

TEST(TorchCheckpointTest, LegacyFileHoldsExactlyTheSafetensorsTensors) {
  expect_same_tensors_as_safetensors(bin_dir() / "pytorch_model.legacy.bin");
  auto c = TorchCheckpoint::open(bin_dir() / "pytorch_model.legacy.bin");
  ASSERT_TRUE(c.ok());
  EXPECT_STREQ((*c)->format(), "legacy");
}

// Storage "s" = 0..11 as floats; tensors: a [3,4] view, its transpose (strides), a row at an
// offset, and a broadcast (stride 0) — all on one storage.
std::vector<TorchTensorSpec> shared_specs() {
  return {
      {"full", "FloatStorage", "s", 12, 0, {3, 4}, {4, 1}},
      {"transposed", "FloatStorage", "s", 12, 0, {4, 3}, {1, 4}},
      {"row2", "FloatStorage", "s", 12, 8, {4}, {1}},
      {"broadcast", "FloatStorage", "s", 12, 5, {2, 3}, {0, 1}},
  };
}

std::string storage_0_to_11() {
  std::string s;
  for (int i = 0; i < 12; ++i) s += floats({static_cast<float>(i)});
  return s;
}

void expect_shared_storage_views(TorchCheckpoint& c) {
  EXPECT_EQ(as_floats(c, "full"), (std::vector<float>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}));
  EXPECT_EQ(as_floats(c, "transposed"), (std::vector<float>{0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11}));
  EXPECT_EQ(as_floats(c, "row2"), (std::vector<float>{8, 9, 10, 11}));
  EXPECT_EQ(as_floats(c, "broadcast"), (std::vector<float>{5, 6, 7, 5, 6, 7}));
  EXPECT_EQ(c.find("transposed")->shape, (std::vector<size_t>{4, 3}));
}

TEST(TorchCheckpointTest, SharedStridedAndOffsetStoragesBecomeContiguous) {
  auto legacy = parse(testing::torch_legacy_file(testing::torch_state_dict_pickle(shared_specs(), true),
                                                 {{"s", 12, storage_0_to_11()}}));
  ASSERT_TRUE(legacy.ok()) << legacy.error().message;
  expect_shared_storage_views(**legacy);
  auto zip = parse(testing::torch_zip_file(testing::torch_state_dict_pickle(shared_specs(), false),
                                           {{"s", storage_0_to_11()}}));
  ASSERT_TRUE(zip.ok()) << zip.error().message;
  expect_shared_storage_views(**zip);
}

TEST(TorchCheckpointTest, ReadsHalfBfloatAndInt64Storages) {
  const std::vector<TorchTensorSpec> specs = {
      {"h", "HalfStorage", "0", 2, 0, {2}, {1}},
      {"b", "BFloat16Storage", "1", 1, 0, {1}, {1}},
      {"embeddings.position_ids", "LongStorage", "2", 3, 0, {1, 3}, {3, 1}},
  };
  const std::string pos = std::string("\0\0\0\0\0\0\0\0\1\0\0\0\0\0\0\0\2\0\0\0\0\0\0\0", 24);
  auto c = parse(testing::torch_zip_file(testing::torch_state_dict_pickle(specs, false),
                                         {{"0", std::string("\x00\x3c\x00\xc0", 4)},  // 1.0, -2.0
                                          {"1", std::string("\x80\x3f", 2)},          // 1.0
                                          {"2", pos}}));
  ASSERT_TRUE(c.ok()) << c.error().message;
  const TorchTensor* h = (*c)->find("h");
  ASSERT_NE(h, nullptr);
  EXPECT_EQ(h->dtype, DType::kF16);
  uint16_t v[2];
  std::memcpy(v, (*c)->data(*h), 4);
  EXPECT_EQ(half_to_float(v[0]), 1.0f);
  EXPECT_EQ(half_to_float(v[1]), -2.0f);
  EXPECT_EQ((*c)->find("b")->dtype, DType::kBF16);
  EXPECT_EQ((*c)->find("embeddings.position_ids")->dtype, DType::kI64);
}

TEST(TorchCheckpointTest, ZipArchiveNameIsWhateverTheFirstRecordSays) {
  const std::vector<TorchTensorSpec> one = {{"w", "FloatStorage", "0", 1, 0, {1}, {1}}};
  auto c = parse(testing::torch_zip_file(testing::torch_state_dict_pickle(one, false), {{"0", floats({7})}},
                                         "pytorch_model"));
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(as_floats(**c, "w"), std::vector<float>{7});
}

struct HostileCase {
  const char* name;
  std::string bytes;
  const char* message;  // a substring the error must contain
};

std::string reduce_call(const std::string& module, const std::string& name) {
  return PickleWriter().proto().global(module, name).str("echo pwned").op('\x85').op('R').stop().bytes();
}

std::string one_tensor(TorchTensorSpec spec, bool legacy) {
  return testing::torch_state_dict_pickle({std::move(spec)}, legacy);
}

TEST(TorchCheckpointTest, RefusesHostilePicklesNamingTheProblem) {
  const std::string deep = PickleWriter().proto().raw(std::string(5000, '(')).stop().bytes();
  const std::vector<HostileCase> cases = {
      {"os.system", legacy_with(reduce_call("os", "system")), "global 'os.system'"},
      {"posix.system", legacy_with(reduce_call("posix", "system")), "global 'posix.system'"},
      {"builtins.eval", legacy_with(reduce_call("builtins", "eval")), "global 'builtins.eval'"},
      {"__builtin__.eval", legacy_with(reduce_call("__builtin__", "eval")), "global '__builtin__.eval'"},
      {"stack global", legacy_with(PickleWriter().proto().str("torch").str("load").op('\x93').stop().bytes()),
       "global 'torch.load'"},
      {"reduce on a storage type",
       legacy_with(PickleWriter().proto().global("torch", "FloatStorage").op(')').op('R').stop().bytes()),
       "REDUCE on torch.FloatStorage"},
      {"reduce on a string", legacy_with(PickleWriter().proto().str("x").op(')').op('R').stop().bytes()),
       "REDUCE on str"},
      {"build on a list", legacy_with(PickleWriter().proto().op(']').op('}').op('b').stop().bytes()),
       "BUILD on list"},
      {"unknown opcode", legacy_with(PickleWriter().proto().op('\xff').stop().bytes()), "unknown opcode 0xff"},
      {"INST", legacy_with(PickleWriter().proto().raw("(ios\nsystem\n").stop().bytes()), "INST"},
      {"NEWOBJ", legacy_with(PickleWriter().proto().op(')').op(')').op('\x81').stop().bytes()), "NEWOBJ"},
      {"huge memo index", legacy_with(PickleWriter().proto().raw("j\xff\xff\xff\xff").stop().bytes()),
       "memo reference 4294967295 to a missing entry"},
      {"memo miss", legacy_with(PickleWriter().proto().op('N').put(3).get(4).stop().bytes()),
       "memo reference 4 to a missing entry"},
      {"deep nesting", legacy_with(deep), "nests deeper than 1000"},
      {"string longer than the data", legacy_with(PickleWriter().proto().raw("X\xff\xff\xff\x7f").stop().bytes()),
       "runs past the end"},
      {"huge LONG4", legacy_with(PickleWriter().proto().raw("\x8b\xff\xff\xff\x7f").stop().bytes()),
       "larger than allowed"},
      {"no STOP", testing::torch_zip_file(PickleWriter().proto().op('}').bytes(), {}), "ends without STOP"},
      {"not a dict", legacy_with(PickleWriter().proto().op(']').stop().bytes()), "not a state dict"},
      {"not a tensor", legacy_with(PickleWriter().proto().op('}').str("w").integer(1).op('s').stop().bytes()),
       "entry 'w' is a int, not a tensor"},
      {"string persistent id", legacy_with(PickleWriter().proto().raw("Pstorage\n").stop().bytes()),
       "not a ('storage', ...) tuple"},
      {"bad storage type",
       legacy_with(PickleWriter().proto().op('(').str("storage").str("FloatStorage").str("0").str("cpu")
                       .integer(1).op('N').op('t').op('Q').stop().bytes()),
       "names type str"},
      {"offset past the storage",
       testing::torch_legacy_file(one_tensor({"w", "FloatStorage", "0", 4, 10, {1}, {1}}, true),
                                  {{"0", 4, floats({1, 2, 3, 4})}}),
       "reaches past the end of storage '0'"},
      {"stride past the storage",
       testing::torch_legacy_file(one_tensor({"w", "FloatStorage", "0", 4, 0, {2, 2}, {3, 1}}, true),
                                  {{"0", 4, floats({1, 2, 3, 4})}}),
       "reaches past the end of storage '0'"},
      {"overflowing strides",
       testing::torch_legacy_file(one_tensor({"w", "FloatStorage", "0", 4, 0, {5, 2}, {INT64_MAX, 1}}, true),
                                  {{"0", 4, floats({1, 2, 3, 4})}}),
       "overflow"},
      {"negative size",
       testing::torch_legacy_file(one_tensor({"w", "FloatStorage", "0", 4, 0, {-1}, {1}}, true),
                                  {{"0", 4, floats({1, 2, 3, 4})}}),
       "non-negative"},
      {"storage beyond the data",
       testing::torch_legacy_file(one_tensor({"w", "FloatStorage", "0", 1000000, 0, {4}, {1}}, true),
                                  {{"0", 1000000, floats({1, 2, 3, 4})}}),
       "needs 4000000 bytes but only 16 remain"},
      {"huge storage count",
       testing::torch_legacy_file(one_tensor({"w", "FloatStorage", "0", INT64_MAX, 0, {4}, {1}}, true),
                                  {{"0", 4, floats({1, 2, 3, 4})}}),
       "overflows"},
      {"count differs from the pickle",
       testing::torch_legacy_file(one_tensor({"w", "FloatStorage", "0", 4, 0, {4}, {1}}, true),
                                  {{"0", 3, floats({1, 2, 3})}}),
       "has 3 elements in the file but the pickle claims 4"},
      {"storage not stored",
       testing::torch_legacy_file(one_tensor({"w", "FloatStorage", "0", 4, 0, {4}, {1}}, true), {}),
       "storage '0' is used by a tensor but not stored"},
      {"zip record smaller than its storage",
       testing::torch_zip_file(one_tensor({"w", "FloatStorage", "0", 8, 0, {8}, {1}}, false),
                               {{"0", floats({1, 2})}}),
       "claims 8 FloatStorage elements (32 bytes) but its record has 8"},
      {"zip without its storage record",
       testing::torch_zip_file(one_tensor({"w", "FloatStorage", "0", 1, 0, {1}, {1}}, false), {}),
       "no record 'archive/data/0'"},
      {"zip with a hostile data.pkl", testing::torch_zip_file(reduce_call("os", "system"), {}), "global 'os.system'"},
      {"zip without data.pkl", testing::zip_archive({{"archive/x", "y"}}), "no 'archive/data.pkl'"},
      {"big-endian zip", testing::zip_archive({{"a/data.pkl", "."}, {"a/byteorder", "big"}}), "byteorder is 'big'"},
      {"not a checkpoint", "hello world", "not a PyTorch checkpoint"},
      {"pickle without the magic", PickleWriter().proto().op('}').stop().bytes(), "magic number"},
  };
  for (const auto& c : cases) {
    const std::string err = error_of(c.bytes);
    EXPECT_NE(err.find(c.message), std::string::npos) << c.name << ": " << err;
  }
}

TEST(TorchCheckpointTest, RefusesEveryTruncationOfTheGoldenFiles) {
  for (const char* file : {"pytorch_model.bin", "pytorch_model.legacy.bin"}) {
    auto whole = read_file(bin_dir() / file);
    ASSERT_TRUE(whole.ok()) << whole.error().message;
    // Cuts in each part: headers, pickle, key list, storage counts and data, the zip directory.
    for (size_t cut : {size_t{0}, size_t{1}, size_t{10}, size_t{100}, size_t{1000}, size_t{4600}, size_t{5000},
                       size_t{5640}, size_t{5660}, size_t{6000}, whole->size() / 2, whole->size() - 100,
                       whole->size() - 1}) {
      auto r = parse(whole->substr(0, cut));
      EXPECT_FALSE(r.ok()) << file << " cut at " << cut;
    }
  }
}

TEST(TorchCheckpointTest, RefusesAFlippedByteInAZipStorage) {
  auto whole = read_file(bin_dir() / "pytorch_model.bin");
  ASSERT_TRUE(whole.ok());
  std::string bad = *whole;
  bad[10000] ^= 0x40;  // inside data/0: the record's CRC no longer matches
  EXPECT_NE(error_of(bad).find("cannot be read whole"), std::string::npos) << error_of(bad);
}

TEST(PickleReaderTest, DefaultHooksRefuseGlobalsAndPersistentIds) {
  PickleHooks none;
  PickleReader r(none, "p");
  auto g = r.load(reduce_call("collections", "OrderedDict"));
  ASSERT_FALSE(g.ok());
  EXPECT_NE(g.error().message.find("global 'collections.OrderedDict'"), std::string::npos);
  auto v = r.load(PickleWriter().proto().op('(').integer(-5).integer(70000).str("é").op('t').stop().bytes());
  ASSERT_TRUE(v.ok()) << v.error().message;
  ASSERT_EQ((*v)->items.size(), 3u);
  EXPECT_EQ((*v)->items[0]->i, -5);
  EXPECT_EQ((*v)->items[1]->i, 70000);
  EXPECT_EQ((*v)->items[2]->s, "é");
  auto bad_utf8 = r.load(PickleWriter().proto().str("\xff").stop().bytes());
  ASSERT_FALSE(bad_utf8.ok());
  EXPECT_NE(bad_utf8.error().message.find("UTF-8"), std::string::npos);
}

}  // namespace
}  // namespace verdict::model
