// Reading a tokenizer.json (the Rust tokenizers library's serialization): WordPiece here, Unigram
// handed to unigram_json.h.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "verdict/common/error.h"
#include "verdict/tokenizer/folder_config.h"
#include "verdict/tokenizer/json_fields.h"
#include "verdict/tokenizer/post_processor.h"
#include "verdict/tokenizer/tokenizer.h"

namespace verdict::tokenizer {

// Model WordPiece (or BPE: see bpe_tokenizer.h); normalizer BertNormalizer or null; pre-tokenizer BertPreTokenizer or null;
// post-processor TemplateProcessing, BertProcessing or null; added_tokens with their flags. Other
// types are kUnsupported. `config` overrides normalizer flags and adds special tokens as
// transformers' BertTokenizerFast does.
Result<std::unique_ptr<Tokenizer>> load_tokenizer_json(const std::filesystem::path& path,
                                                       const FolderConfig& config);

// Same, from the file's contents already in memory (`path` names it in errors; used by the
// fuzzer).
Result<std::unique_ptr<Tokenizer>> parse_tokenizer_json(std::string_view json_text,
                                                        const std::filesystem::path& path,
                                                        const FolderConfig& config);

// A TemplateProcessing post-processor (`p` is the file's "post_processor" object): its single and
// pair templates with their special tokens.
Status parse_template_processing(const JsonFile& file, const nlohmann::json& p, PostProcessor* out);
// The file's "post_processor": TemplateProcessing, BertProcessing, RobertaProcessing or null.
Status parse_post_processor(const JsonFile& file, PostProcessor* out);

}  // namespace verdict::tokenizer
