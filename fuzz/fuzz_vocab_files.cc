// The tokenizer files of model folders without a tokenizer.json: BERT's vocab.txt, RoBERTa's
// vocab.json + merges.txt, XLM-R's sentencepiece.bpe.model (protobuf). The first byte picks the
// format: 'v' vocab.txt, 'b' vocab.json and merges.txt (split at the first 0x00), 's' the
// SentencePiece model; any other first byte gives the whole input to all three. A file that
// loads must give a tokenizer that passes check_loaded_tokenizer.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

#include "encoding_checks.h"
#include "fuzz_util.h"
#include "verdict/tokenizer/bert_tokenizer.h"
#include "verdict/tokenizer/bpe_tokenizer.h"
#include "verdict/tokenizer/folder_config.h"
#include "verdict/tokenizer/sentencepiece_model.h"

namespace {

namespace fs = std::filesystem;
using namespace verdict::tokenizer;
using verdict::fuzz::check;

template <class T>
void check_error(const verdict::Result<T>& r, const char* what) {
  if (!r.ok()) check(!r.error().message.empty(), what, ": an error without a message");
}

void vocab_txt(std::string_view bytes) {
  auto tok = make_bert_tokenizer(bytes, BertVocabOptions{}, "fuzz/vocab.txt");
  check_error(tok, "vocab.txt");
  if (tok.ok()) verdict::fuzz::check_loaded_tokenizer(**tok);
}

// load_bpe_files reads a folder: one per process, in memory when /dev/shm exists, rewritten
// for every input.
const fs::path& bpe_dir() {
  static const fs::path dir = [] {
    const fs::path base = fs::exists("/dev/shm") ? fs::path("/dev/shm") : fs::temp_directory_path();
    fs::path d = base / ("verdict-fuzz-bpe-" + std::to_string(::getpid()));
    fs::create_directories(d);
    std::atexit([] {
      std::error_code ignored;
      fs::remove_all(bpe_dir(), ignored);
    });
    return d;
  }();
  return dir;
}

void write_file(const fs::path& path, std::string_view bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  check(static_cast<bool>(out), "cannot write ", std::string_view(path.native()));
}

void bpe_files(std::string_view bytes) {
  const size_t split = bytes.find('\0');
  const std::string_view vocab = bytes.substr(0, split);
  const std::string_view merges = split == std::string_view::npos ? std::string_view() : bytes.substr(split + 1);
  write_file(bpe_dir() / "vocab.json", vocab);
  write_file(bpe_dir() / "merges.txt", merges);
  auto tok = load_bpe_files(bpe_dir(), FolderConfig{});
  check_error(tok, "vocab.json + merges.txt");
  if (tok.ok()) verdict::fuzz::check_loaded_tokenizer(**tok);
}

void sentencepiece(std::string_view bytes) {
  auto model = parse_sentencepiece_model(bytes);
  check_error(model, "sentencepiece.bpe.model");
  if (!model.ok()) return;
  for (const auto& p : model->pieces) check(p.piece.size() <= bytes.size(), "a piece longer than the file");
  check(model->precompiled_charsmap.size() <= bytes.size(), "a charsmap longer than the file");
  auto tok = make_xlm_roberta_tokenizer(*model, FolderConfig{}, "fuzz/sentencepiece.bpe.model");
  check_error(tok, "sentencepiece tokenizer");
  if (tok.ok()) verdict::fuzz::check_loaded_tokenizer(**tok);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const char format = size > 0 ? input[0] : 0;
  const bool one = format == 'v' || format == 'b' || format == 's';
  const std::string_view bytes = one ? input.substr(1) : input;
  if (!one || format == 'v') vocab_txt(bytes);
  if (!one || format == 'b') bpe_files(bytes);
  if (!one || format == 's') sentencepiece(bytes);
  return 0;
}
