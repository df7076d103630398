// load_tokenizer(): tokenizer.json when the folder has one, else sentencepiece.bpe.model, else
// vocab.txt with its configs.
#include <filesystem>
#include <memory>
#include <system_error>

#include "verdict/tokenizer/bert_tokenizer.h"
#include "verdict/tokenizer/bpe_tokenizer.h"
#include "verdict/tokenizer/folder_config.h"
#include "verdict/tokenizer/sentencepiece_model.h"
#include "verdict/tokenizer/tokenizer.h"
#include "verdict/tokenizer/tokenizer_json.h"

namespace verdict::tokenizer {
namespace {

namespace fs = std::filesystem;

Result<std::unique_ptr<Tokenizer>> load_from_vocab(const fs::path& vocab_path, const FolderConfig& config) {
  BertVocabOptions options;
  options.do_lower_case = config.do_lower_case.value_or(true);
  options.strip_accents = config.strip_accents;
  options.tokenize_chinese_chars = config.tokenize_chinese_chars.value_or(true);
  options.unk_token = special_content(config, 0);
  options.sep_token = special_content(config, 1);
  options.pad_token = special_content(config, 2);
  options.cls_token = special_content(config, 3);
  options.mask_token = special_content(config, 4);
  options.model_max_length = config.model_max_length;
  // Special tokens given as objects keep their flags (e.g. lstrip on a mask token).
  for (const auto& token : config.special) {
    if (token) options.extra_tokens.push_back(*token);
  }
  options.extra_tokens.insert(options.extra_tokens.end(), config.extra_tokens.begin(),
                              config.extra_tokens.end());
  return load_bert_vocab(vocab_path, options);
}

}  // namespace

Result<std::unique_ptr<Tokenizer>> load_tokenizer(const std::filesystem::path& model_dir) {
  std::error_code ec;
  if (!fs::is_directory(model_dir, ec)) {
    return make_error(ErrorCode::kNotFound, model_dir.string() + ": no such model folder");
  }
  auto config = read_folder_config(model_dir);
  if (!config.ok()) return config.error();
  const fs::path tokenizer_json = model_dir / "tokenizer.json";
  if (fs::exists(tokenizer_json, ec)) return load_tokenizer_json(tokenizer_json, *config);
  // XLM-RoBERTa's SentencePiece model, converted as transformers does.
  const fs::path sentencepiece = model_dir / "sentencepiece.bpe.model";
  if (fs::exists(sentencepiece, ec)) return load_sentencepiece_model(sentencepiece, *config);
  const fs::path vocab = model_dir / "vocab.txt";
  if (fs::exists(vocab, ec)) return load_from_vocab(vocab, *config);
  if (fs::exists(model_dir / "vocab.json", ec) && fs::exists(model_dir / "merges.txt", ec)) {
    return load_bpe_files(model_dir, *config);
  }
  return make_error(ErrorCode::kNotFound,
                    model_dir.string() +
                        ": no tokenizer found (looked for tokenizer.json, sentencepiece.bpe.model, "
                        "vocab.txt with tokenizer_config.json, then vocab.json + merges.txt)");
}

}  // namespace verdict::tokenizer
