// Writes the seed corpora of the fuzz targets from the golden data into a build folder (the
// golden data is never copied into the repository):
//   make_seeds TESTDATA REQUEST_SEEDS OUT
// OUT/<target>/ gets: fuzz_tokenizer the texts (and pairs, joined by 0x00) of
// tokenizer/bert_uncased.jsonl; fuzz_config every config.json; fuzz_tokenizer_json every
// tokenizer.json with its vocabulary cut down, plus variants; fuzz_safetensors the first 4 KiB of
// every model.safetensors, a shrunken valid copy of each, and valid files for kTinyConfigJson;
// fuzz_requests the committed request bodies, raw and behind each parser's selector byte;
// fuzz_vocab_files the vocab.txt, vocab.json + merges.txt and sentencepiece.bpe.model files cut
// down to a few KB; fuzz_batch_records CSV/TSV/JSONL files of the golden texts.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "fuzz_util.h"
#include "verdict/model/config.h"
#include "verdict/model/safetensors.h"
#include "verdict/model/tensor_names.h"
#include "verdict/model/torch_checkpoint.h"
#include "verdict/tokenizer/sentencepiece_model.h"
#include "testing/torch_files.h"

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

std::string read_all(const fs::path& path, size_t limit = SIZE_MAX) {
  std::ifstream in(path, std::ios::binary);
  std::string s(std::min<size_t>(limit, fs::file_size(path)), '\0');
  in.read(s.data(), static_cast<std::streamsize>(s.size()));
  if (!in) verdict::fuzz::fail(path.string() + ": cannot read");
  return s;
}

void write_all(const fs::path& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out) verdict::fuzz::fail(path.string() + ": cannot write");
}

std::vector<fs::path> model_dirs(const fs::path& testdata) {
  std::vector<fs::path> dirs;
  for (const auto& e : fs::directory_iterator(testdata / "models")) {
    if (e.is_directory()) dirs.push_back(e.path());
  }
  std::sort(dirs.begin(), dirs.end());
  return dirs;
}

size_t tokenizer_seeds(const fs::path& testdata, const fs::path& out) {
  std::ifstream in(testdata / "tokenizer" / "bert_uncased.jsonl");
  std::string line;
  size_t n = 0;
  while (std::getline(in, line)) {
    const json j = json::parse(line);
    std::string text = j.at("text").get<std::string>();
    if (j.contains("text_pair") && j["text_pair"].is_string()) {
      text += '\0' + j["text_pair"].get<std::string>();
    }
    write_all(out / ("text-" + std::to_string(n++)), text);
  }
  return n;
}

size_t config_seeds(const fs::path& testdata, const fs::path& out) {
  size_t n = 0;
  for (const fs::path& dir : model_dirs(testdata)) {
    if (fs::exists(dir / "config.json")) {
      write_all(out / (dir.filename().string() + ".json"), read_all(dir / "config.json"));
      ++n;
    }
  }
  write_all(out / "tiny.json", std::string(verdict::fuzz::kTinyConfigJson));
  return n + 1;
}

// A tokenizer.json small enough to fuzz: the vocabulary keeps the specials, a sample of ids and
// the pieces of a few words; BPE merges and Unigram pieces are cut to a few.
// Strings over 256 bytes (xlmr's precompiled_charsmap) cut short.
void shorten_strings(json& j) {
  if (j.is_string() && j.get_ref<const std::string&>().size() > 256) j = j.get<std::string>().substr(0, 256);
  if (j.is_structured()) {
    for (auto& v : j) shorten_strings(v);
  }
}

json shrink_tokenizer(json j) {
  static const std::set<std::string> kWords = {"hello", "my",    "dog",   "is",    "cute", "world",
                                               "##s",   "##ing", "the",   "a",     "!",    ",",
                                               ".",     "un",    "##aff", "##able"};
  json& model = j["model"];
  if (model.contains("vocab") && model["vocab"].is_object()) {
    json vocab = json::object();
    for (const auto& [token, id] : model["vocab"].items()) {
      const int64_t v = id.is_number_integer() ? id.get<int64_t>() : 0;
      if (v < 110 || v % 500 == 0 || kWords.count(token)) vocab[token] = id;
    }
    model["vocab"] = vocab;
  } else if (model.contains("vocab") && model["vocab"].is_array() && model["vocab"].size() > 64) {
    model["vocab"].erase(model["vocab"].begin() + 64, model["vocab"].end());
  }
  if (model.contains("merges") && model["merges"].is_array() && model["merges"].size() > 16) {
    model["merges"].erase(model["merges"].begin() + 16, model["merges"].end());
  }
  shorten_strings(j);
  return j;
}

size_t tokenizer_json_seeds(const fs::path& testdata, const fs::path& out) {
  size_t n = 0;
  for (const fs::path& dir : model_dirs(testdata)) {
    if (!fs::exists(dir / "tokenizer.json")) continue;
    const json small = shrink_tokenizer(json::parse(read_all(dir / "tokenizer.json")));
    const std::string name = dir.filename().string();
    write_all(out / (name + ".json"), small.dump(1));
    ++n;
    if (small["model"].value("type", "") != "WordPiece") continue;
    // Variants the golden files lack: BertProcessing, no normalizer / pre-tokenizer, added
    // tokens with every flag.
    json bert = small;
    bert["post_processor"] = {{"type", "BertProcessing"}, {"sep", {"[SEP]", 102}}, {"cls", {"[CLS]", 101}}};
    bert["normalizer"] = nullptr;
    write_all(out / (name + "-bert-processing.json"), bert.dump());
    json bare = small;
    bare["pre_tokenizer"] = nullptr;
    bare["normalizer"]["strip_accents"] = true;
    bare["normalizer"]["lowercase"] = false;
    bare["added_tokens"].push_back({{"id", 30522},
                                    {"content", "<new>"},
                                    {"single_word", true},
                                    {"lstrip", true},
                                    {"rstrip", true},
                                    {"normalized", true},
                                    {"special", false}});
    bare["added_tokens"].push_back({{"id", 30523}, {"content", "D\u00e9j\u00e0"}, {"normalized", true}});
    write_all(out / (name + "-added-tokens.json"), bare.dump());
    n += 2;
  }
  return n;
}

// A valid file with the header's tensors, names and dtypes, every dimension cut to at most 2.
std::string shrink_safetensors(const std::string& file) {
  uint64_t len = 0;
  std::memcpy(&len, file.data(), 8);
  json header = json::parse(file.substr(8, len));
  std::vector<std::pair<uint64_t, std::string>> order;  // keep the file's tensor order
  for (const auto& [name, info] : header.items()) {
    if (name != "__metadata__") order.emplace_back(info["data_offsets"][0].get<uint64_t>(), name);
  }
  std::sort(order.begin(), order.end());
  uint64_t offset = 0;
  for (const auto& [begin, name] : order) {
    json& info = header[name];
    // Element size from the original range, so any dtype keeps its width.
    uint64_t elements = 1;
    for (const auto& d : info["shape"]) elements *= d.get<uint64_t>();
    const uint64_t span = info["data_offsets"][1].get<uint64_t>() - begin;
    uint64_t bytes = elements > 0 ? span / elements : 1;
    for (auto& d : info["shape"]) {
      d = std::min<uint64_t>(d.get<uint64_t>(), 2);
      bytes *= d.get<uint64_t>();
    }
    info["data_offsets"] = {offset, offset + bytes};
    offset += bytes;
  }
  std::string h = header.dump();
  while (h.size() % 8 != 0) h.push_back(' ');
  std::string out(8, '\0');
  const uint64_t n = h.size();
  std::memcpy(out.data(), &n, 8);
  out += h;
  for (uint64_t i = 0; i < offset; ++i) out.push_back(static_cast<char>(0x3c + i % 3));
  return out;
}

size_t safetensors_seeds(const fs::path& testdata, const fs::path& out) {
  size_t n = 0;
  for (const fs::path& dir : model_dirs(testdata)) {
    const fs::path path = dir / "model.safetensors";
    if (!fs::exists(path)) continue;
    const std::string name = dir.filename().string();
    write_all(out / (name + "-head"), read_all(path, 4096));
    write_all(out / (name + "-small"), shrink_safetensors(read_all(path)));
    n += 2;
  }
  // Files WeightStore accepts for the tiny config, in each stored dtype it reads.
  auto config = verdict::model::parse_config(verdict::fuzz::kTinyConfigJson, "tiny");
  verdict::fuzz::check(config.ok(), "the tiny config does not parse");
  std::vector<std::vector<float>> values;
  std::vector<verdict::model::TensorToWrite> tensors;
  for (const auto& spec : verdict::model::tensor_specs(*config)) {
    size_t count = 1;
    for (size_t d : spec.shape) count *= d;
    values.emplace_back(count, 0.25f);
    tensors.push_back({spec.name, spec.shape, nullptr});
  }
  for (size_t i = 0; i < tensors.size(); ++i) tensors[i].data = values[i].data();
  for (auto dtype :
       {verdict::model::DType::kF32, verdict::model::DType::kF16, verdict::model::DType::kBF16}) {
    const fs::path path = out / ("tiny-" + std::string(verdict::model::dtype_name(dtype)));
    const auto status = verdict::model::write_safetensors(path, tensors, dtype, {{"format", "pt"}});
    verdict::fuzz::check(status.ok(), path.string() + ": cannot write");
    ++n;
  }
  return n;
}

// A torch checkpoint of `tensors` (contiguous, one storage each) in both formats.
void write_torch_pair(const fs::path& out, const std::string& name,
                      const std::vector<verdict::testing::TorchTensorSpec>& specs,
                      const std::vector<std::string>& storages) {
  std::vector<std::pair<std::string, std::string>> zip_storages;
  std::vector<verdict::testing::LegacyStorage> legacy_storages;
  std::set<std::string> seen;
  for (size_t i = 0; i < specs.size(); ++i) {
    if (!seen.insert(specs[i].key).second) continue;
    zip_storages.emplace_back(specs[i].key, storages[i]);
    legacy_storages.push_back({specs[i].key, specs[i].storage_numel, storages[i]});
  }
  write_all(out / (name + "-zip"),
            verdict::testing::torch_zip_file(verdict::testing::torch_state_dict_pickle(specs, false), zip_storages));
  write_all(out / (name + "-legacy"), verdict::testing::torch_legacy_file(
                                          verdict::testing::torch_state_dict_pickle(specs, true), legacy_storages));
}

// The golden pytorch_model.bin files: the legacy one's head (its pickles whole), each shrunk to
// at most 2 elements per dimension and rewritten in both formats, and checkpoints the tiny config
// loads (F32, F16, BF16, and one with shared, strided and offset storages).
size_t torch_seeds(const fs::path& testdata, const fs::path& out) {
  size_t n = 0;
  for (const fs::path& dir : model_dirs(testdata)) {
    for (const char* file : {"pytorch_model.bin", "pytorch_model.legacy.bin"}) {
      const fs::path path = dir / file;
      if (!fs::exists(path)) continue;
      const std::string name = dir.filename().string() + "-" + file;
      write_all(out / (name + "-head"), read_all(path, 8192));
      auto ckpt = verdict::model::TorchCheckpoint::open(path);
      verdict::fuzz::check(ckpt.ok(), path.string(), ": ", ckpt.ok() ? "" : ckpt.error().message);
      std::vector<verdict::testing::TorchTensorSpec> specs;
      std::vector<std::string> storages;
      for (const auto& t : (*ckpt)->tensors()) {
        verdict::testing::TorchTensorSpec spec{t.name, verdict::model::torch_storage_name(t.dtype), t.name, 1, 0, {}, {}};
        for (size_t d : t.shape) spec.shape.push_back(static_cast<int64_t>(std::min<size_t>(d, 2)));
        int64_t stride = 1;
        spec.stride.resize(spec.shape.size());
        for (size_t i = spec.shape.size(); i-- > 0;) {
          spec.stride[i] = stride;
          stride *= spec.shape[i];
        }
        spec.storage_numel = static_cast<uint64_t>(stride);
        const size_t bytes = spec.storage_numel * verdict::model::dtype_size(t.dtype);
        storages.emplace_back(reinterpret_cast<const char*>((*ckpt)->data(t)), bytes);
        specs.push_back(std::move(spec));
      }
      write_torch_pair(out, name + "-small", specs, storages);
      n += 3;
    }
  }
  auto config = verdict::model::parse_config(verdict::fuzz::kTinyConfigJson, "tiny");
  verdict::fuzz::check(config.ok(), "the tiny config does not parse");
  for (const char* type : {"FloatStorage", "HalfStorage", "BFloat16Storage"}) {
    const size_t es = std::string(type) == "FloatStorage" ? 4 : 2;
    std::vector<verdict::testing::TorchTensorSpec> specs;
    std::vector<std::string> storages;
    for (const auto& spec : verdict::model::tensor_specs(*config)) {
      size_t count = 1;
      for (size_t d : spec.shape) count *= d;
      std::vector<int64_t> shape(spec.shape.begin(), spec.shape.end()), stride(shape.size(), 1);
      if (shape.size() == 2) stride[0] = shape[1];
      specs.push_back({spec.name, type, std::to_string(specs.size()), count, 0, shape, stride});
      storages.emplace_back(count * es, '\x3c');
    }
    write_torch_pair(out, std::string("tiny-") + type, specs, storages);
    n += 2;
  }
  // Shared storage: a [3,4] tensor, its transpose, a row at an offset, a broadcast.
  const std::vector<verdict::testing::TorchTensorSpec> shared = {
      {"full", "FloatStorage", "s", 12, 0, {3, 4}, {4, 1}},
      {"transposed", "FloatStorage", "s", 12, 0, {4, 3}, {1, 4}},
      {"row2", "FloatStorage", "s", 12, 8, {4}, {1}},
      {"broadcast", "FloatStorage", "s", 12, 5, {2, 3}, {0, 1}},
  };
  write_torch_pair(out, "shared", shared, std::vector<std::string>(4, std::string(48, '\x01')));
  return n + 2;
}

// Lines [begin, end) of a text file.
std::string lines(const std::string& text, size_t begin, size_t end) {
  std::string out;
  size_t line = 0, pos = 0;
  while (pos < text.size() && line < end) {
    const size_t nl = std::min(text.find('\n', pos), text.size());
    if (line >= begin) out.append(text, pos, nl + 1 - pos);
    pos = nl + 1;
    ++line;
  }
  return out;
}

void put_varint(std::string& out, uint64_t v) {
  for (; v >= 0x80; v >>= 7) out.push_back(static_cast<char>((v & 0x7F) | 0x80));
  out.push_back(static_cast<char>(v));
}
void put_bytes(std::string& out, uint32_t field, std::string_view bytes) {
  put_varint(out, field << 3 | 2);
  put_varint(out, bytes.size());
  out.append(bytes);
}

// A SentencePiece ModelProto with the first `n` pieces of `model` (protobuf wire format: pieces
// = 1 {piece = 1, score = 2, type = 3}, trainer_spec = 2 {model_type = 3}, normalizer_spec = 3
// {precompiled_charsmap = 2}).
std::string sentencepiece_proto(const verdict::tokenizer::SentencePieceModel& model, size_t n, bool charsmap) {
  std::string out;
  for (size_t i = 0; i < std::min(n, model.pieces.size()); ++i) {
    std::string piece;
    put_bytes(piece, 1, model.pieces[i].piece);
    piece.push_back(static_cast<char>(2 << 3 | 5));
    const float score = model.pieces[i].score;
    piece.append(reinterpret_cast<const char*>(&score), 4);
    put_varint(piece, 3 << 3 | 0);
    put_varint(piece, static_cast<uint64_t>(model.pieces[i].type));
    put_bytes(out, 1, piece);
  }
  std::string trainer;
  put_varint(trainer, 3 << 3 | 0);
  put_varint(trainer, static_cast<uint64_t>(model.model_type));
  put_bytes(out, 2, trainer);
  if (charsmap && !model.precompiled_charsmap.empty()) {
    std::string normalizer;
    put_bytes(normalizer, 2, model.precompiled_charsmap);
    put_bytes(out, 3, normalizer);
  }
  return out;
}

// fuzz_vocab_files: each golden vocab.txt, vocab.json + merges.txt and sentencepiece.bpe.model
// cut to a few KB that still load, behind their selector byte, and the raw first 8 KiB.
size_t vocab_file_seeds(const fs::path& testdata, const fs::path& out) {
  size_t n = 0;
  for (const fs::path& dir : model_dirs(testdata)) {
    const std::string name = dir.filename().string();
    if (fs::exists(dir / "vocab.txt")) {
      const std::string vocab = read_all(dir / "vocab.txt");
      // The special tokens, punctuation and characters, then the most frequent words.
      write_all(out / (name + "-vocab.txt"), "v" + lines(vocab, 0, 110) + lines(vocab, 990, 1100) + lines(vocab, 1996, 2400));
      ++n;
    }
    if (fs::exists(dir / "vocab.json") && fs::exists(dir / "merges.txt")) {
      const json vocab = json::parse(read_all(dir / "vocab.json"));
      json small = json::object();
      for (const auto& [token, id] : vocab.items()) {
        if (id.get<int64_t>() < 400) small[token] = id;
      }
      // Merges whose parts and result are all in the smaller vocabulary.
      const std::string merges = read_all(dir / "merges.txt");
      std::string kept = "#version: 0.2\n";
      size_t count = 0;
      for (size_t pos = 0; pos < merges.size() && count < 200;) {
        const size_t nl = std::min(merges.find('\n', pos), merges.size());
        const std::string line = merges.substr(pos, nl - pos);
        pos = nl + 1;
        const size_t space = line.find(' ');
        if (line.empty() || line[0] == '#' || space == std::string::npos) continue;
        const std::string a = line.substr(0, space), b = line.substr(space + 1);
        if (small.contains(a) && small.contains(b) && small.contains(a + b)) {
          kept += line + "\n";
          ++count;
        }
      }
      write_all(out / (name + "-bpe"), "b" + small.dump() + std::string(1, '\0') + kept);
      ++n;
    }
    if (fs::exists(dir / "sentencepiece.bpe.model")) {
      const std::string file = read_all(dir / "sentencepiece.bpe.model");
      auto model = verdict::tokenizer::parse_sentencepiece_model(file);
      if (!model.ok()) verdict::fuzz::fail(name + ": " + model.error().message);
      write_all(out / (name + "-spm"), "s" + sentencepiece_proto(*model, 400, false));
      write_all(out / (name + "-spm-head"), "s" + file.substr(0, 8192));
      n += 2;
    }
  }
  return n;
}

// fuzz_batch_records: the texts of tokenizer/bert_uncased.jsonl (quotes, commas, accents) as
// CSV, TSV and JSONL files with a label column, behind the selector byte of each reading mode.
size_t batch_record_seeds(const fs::path& testdata, const fs::path& out) {
  std::ifstream in(testdata / "tokenizer" / "bert_uncased.jsonl");
  std::string csv = "id,text,label\n", csv_bare, tsv = "text\tlabel\n", jsonl;
  std::string line;
  for (size_t i = 0; i < 24 && std::getline(in, line); ++i) {
    const std::string text = json::parse(line).at("text").get<std::string>();
    const std::string label = i % 2 ? "positive" : "negative";
    std::string quoted = "\"";
    for (const char c : text) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
    quoted += "\"";
    csv += std::to_string(i) + "," + quoted + "," + label + (i % 3 ? "\n" : "\r\n");
    csv_bare += quoted + "," + label + "\n";
    if (text.find('\t') == std::string::npos && text.find('\n') == std::string::npos) tsv += text + "\t" + label + "\n";
    jsonl += json{{"text", text}, {"label", label}, {"n", i}}.dump() + "\n";
  }
  const std::pair<uint8_t, const std::string*> seeds[] = {
      {0, &csv}, {8, &csv}, {16 | 8, &csv_bare}, {1, &tsv}, {1 | 4 | 8, &tsv}, {2, &jsonl}, {2 | 8, &jsonl}, {32, &csv}};
  size_t n = 0;
  for (const auto& [flags, body] : seeds) {
    write_all(out / ("records-" + std::to_string(n++)), std::string(1, static_cast<char>(flags)) + *body);
  }
  return n;
}

size_t request_seeds(const fs::path& committed, const fs::path& out) {
  size_t n = 0;
  for (const auto& e : fs::directory_iterator(committed)) {
    const std::string body = read_all(e.path());
    const std::string name = e.path().filename().string();
    write_all(out / name, body);
    for (const char route : {'h', 'p', 'k', 't', 'r', 'e', 'd'})
      write_all(out / (std::string(1, route) + "-" + name), route + body);
    n += 8;
  }
  return n;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::cerr << "usage: make_seeds TESTDATA REQUEST_SEEDS OUT\n";
    return 2;
  }
  const fs::path testdata = argv[1], requests = argv[2], out = argv[3];
  struct Target {
    const char* name;
    size_t (*make)(const fs::path&, const fs::path&);
    const fs::path& from;
  };
  const Target targets[] = {
      {"fuzz_tokenizer", tokenizer_seeds, testdata},
      {"fuzz_config", config_seeds, testdata},
      {"fuzz_tokenizer_json", tokenizer_json_seeds, testdata},
      {"fuzz_safetensors", safetensors_seeds, testdata},
      {"fuzz_torch_checkpoint", torch_seeds, testdata},
      {"fuzz_requests", request_seeds, requests},
      {"fuzz_vocab_files", vocab_file_seeds, testdata},
      {"fuzz_batch_records", batch_record_seeds, testdata},
  };
  for (const Target& t : targets) {
    const fs::path dir = out / t.name;
    fs::remove_all(dir);
    fs::create_directories(dir);
    std::cout << t.name << ": " << t.make(t.from, dir) << " seeds\n";
  }
  return 0;
}
