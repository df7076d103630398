// Reading a tokenizer.json whose model is Unigram (SentencePiece, e.g. XLM-RoBERTa's).
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "verdict/common/error.h"
#include "verdict/tokenizer/folder_config.h"
#include "verdict/tokenizer/json_fields.h"
#include "verdict/tokenizer/tokenizer.h"

namespace verdict::tokenizer {

// "Unigram" by the model's "type", or, in files without one, by its vocab being a list (how
// Rust tells its untagged models apart).
bool is_unigram_model(const JsonFile& file);

// Model Unigram ([piece, score] vocab, unk_id, byte_fallback); normalizer Precompiled, Replace,
// a Sequence of them, or null; pre-tokenizer Metaspace or null; post-processor
// TemplateProcessing, RobertaProcessing, BertProcessing or null; added_tokens with their flags.
// Other types are kUnsupported naming what was found; `config` adds the special tokens it names.
Result<std::unique_ptr<Tokenizer>> unigram_tokenizer_from_json(const JsonFile& file,
                                                               const FolderConfig& config);

// RFC 4648 base64 (padding optional); nullopt for any other character or a bad length.
std::optional<std::string> decode_base64(std::string_view text);

}  // namespace verdict::tokenizer
