#include "verdict/tokenizer/bert_tokenizer.h"

#include <algorithm>

#include "verdict/common/file_util.h"
#include "verdict/tokenizer/added_then_normalized.h"
#include "verdict/tokenizer/unicode_util.h"

namespace verdict::tokenizer {

Result<std::unique_ptr<BertTokenizer>> BertTokenizer::create(BertTokenizerSpec spec) {
  const auto unk_id = spec.vocab.find(spec.wordpiece.unk_token);
  if (!unk_id) {
    return make_error(ErrorCode::kCorruptModel, "the unknown token \"" + spec.wordpiece.unk_token +
                                                    "\" is not in the WordPiece vocabulary (" +
                                                    std::to_string(spec.vocab.size()) + " tokens)");
  }
  return std::unique_ptr<BertTokenizer>(new BertTokenizer(std::move(spec), *unk_id));
}

BertTokenizer::BertTokenizer(BertTokenizerSpec spec, int32_t unk_id)
    : spec_(std::move(spec)),
      normalizer_(spec_.normalizer ? Normalizer(*spec_.normalizer) : Normalizer()),
      wordpiece_(&spec_.vocab, spec_.wordpiece, unk_id),
      added_(spec_.added_tokens, normalizer_),
      model_max_length_(spec_.model_max_length) {
  id_limit_ = spec_.vocab.id_limit();
  for (const AddedToken& token : added_.tokens()) {
    added_ids_.add(token.content, token.id);
    id_limit_ = std::max(id_limit_, static_cast<size_t>(token.id) + 1);
  }
  pad_id_ = token_to_id(spec_.pad_token).value_or(0);
}

std::optional<int32_t> BertTokenizer::token_to_id(std::string_view token) const {
  if (auto id = added_ids_.find(token)) return id;
  return spec_.vocab.find(token);
}

std::string BertTokenizer::id_to_token(int32_t id) const {
  if (const std::string& added = added_ids_.token(id); !added.empty()) return added;
  return spec_.vocab.token(id);
}

void BertTokenizer::encode_normalized(const NormalizedString& normalized, uint32_t begin, uint32_t end,
                                      SequenceTokens* out) const {
  std::vector<WordSpan> words;
  pre_tokenize(spec_.pre_tokenizer, normalized.text, begin, end, &words);
  std::vector<SubToken> subs;
  std::string scratch;
  const std::string_view text = normalized.text;
  for (const WordSpan& word : words) {
    subs.clear();
    wordpiece_.tokenize(text.substr(word.begin, word.end - word.begin), &subs, &scratch);
    for (const SubToken& sub : subs) {
      out->push_back(
          {sub.id, normalized.original_range(word.begin + sub.begin, word.begin + sub.end), false});
    }
  }
}

void BertTokenizer::encode_sequence(std::string_view text, SequenceTokens* out) const {
  // WordPiece never fails: the Status is always ok.
  (void)for_each_model_piece(added_, normalizer_, text, out,
                             [&](const NormalizedString& normalized, uint32_t begin, uint32_t end, uint32_t) {
                               encode_normalized(normalized, begin, end, out);
                               return Status{};
                             });
}

Result<Encoding> BertTokenizer::encode(std::string_view text, std::optional<std::string_view> pair,
                                       const EncodeOptions& options) const {
  if (auto error = check_input_utf8(text, "text")) return *error;
  if (pair) {
    if (auto error = check_input_utf8(*pair, "text pair")) return *error;
  }
  SequenceTokens seq[2];
  encode_sequence(text, &seq[0]);
  if (pair) encode_sequence(*pair, &seq[1]);

  return build_encoding(spec_.post_processor, std::move(seq[0]), pair ? &seq[1] : nullptr, options,
                        [this](int32_t id) { return id_to_token(id); });
}

Result<std::unique_ptr<Tokenizer>> make_bert_tokenizer(std::string_view vocab_text,
                                                       const BertVocabOptions& options,
                                                       const std::string& source) {
  if (const size_t bad = find_invalid_utf8(vocab_text); bad != kValidUtf8) {
    return make_error(ErrorCode::kCorruptModel,
                      source + ": not valid UTF-8 (byte " + std::to_string(bad) + ")");
  }
  BertTokenizerSpec spec;
  // Python's readlines() in text mode: \n, \r\n and \r end a line; the id is the line number.
  int32_t id = 0;
  size_t pos = 0;
  while (pos < vocab_text.size()) {
    size_t end = vocab_text.find_first_of("\r\n", pos);
    if (end == std::string_view::npos) end = vocab_text.size();
    spec.vocab.add(std::string(vocab_text.substr(pos, end - pos)), id++);
    if (end < vocab_text.size() && vocab_text[end] == '\r' && end + 1 < vocab_text.size() &&
        vocab_text[end + 1] == '\n') {
      ++end;
    }
    pos = end + 1;
  }
  if (spec.vocab.size() == 0)
    return make_error(ErrorCode::kCorruptModel, source + ": the vocabulary is empty");

  spec.wordpiece.unk_token = options.unk_token;
  spec.normalizer = BertNormalizerOptions{true, options.tokenize_chinese_chars, options.strip_accents,
                                          options.do_lower_case};
  spec.pre_tokenizer = PreTokenizerKind::kBert;
  spec.model_max_length = options.model_max_length;
  spec.pad_token = options.pad_token;

  // transformers adds every special token to the fast tokenizer as a non-normalized added token;
  // one missing from the vocabulary gets the next free id.
  auto next_id = static_cast<int32_t>(spec.vocab.id_limit());
  const auto vocab_id = [&](const std::string& content) { return spec.vocab.find(content); };
  auto add_token = [&](AddedToken token) {
    if (!token.content.empty()) add_token_once(std::move(token), vocab_id, &next_id, &spec.added_tokens);
  };
  for (const AddedToken& token : options.extra_tokens) {
    if (token.id >= 0) add_token(token);
  }
  for (const std::string* s : {&options.unk_token, &options.sep_token, &options.pad_token, &options.cls_token,
                               &options.mask_token}) {
    // A special token given with flags (e.g. {"content": "[MASK]", "lstrip": true}) keeps them.
    const auto given = std::find_if(options.extra_tokens.begin(), options.extra_tokens.end(),
                                    [&](const AddedToken& t) { return t.content == *s; });
    AddedToken token;
    if (given != options.extra_tokens.end()) token = *given;
    token.content = *s;
    token.id = -1;
    add_token(std::move(token));
  }
  for (const AddedToken& token : options.extra_tokens) {
    if (token.id < 0) add_token(token);
  }

  auto id_of = [&](const std::string& content) -> std::optional<int32_t> {
    for (const AddedToken& t : spec.added_tokens) {
      if (t.content == content) return t.id;
    }
    return spec.vocab.find(content);
  };
  const auto cls_id = id_of(options.cls_token);
  const auto sep_id = id_of(options.sep_token);
  if (!cls_id || !sep_id) {
    return make_error(ErrorCode::kCorruptModel, source + ": the cls token \"" + options.cls_token +
                                                    "\" or sep token \"" + options.sep_token + "\" is empty");
  }
  spec.post_processor = PostProcessor::bert(options.cls_token, *cls_id, options.sep_token, *sep_id);

  auto tokenizer = BertTokenizer::create(std::move(spec));
  if (!tokenizer.ok()) {
    return make_error(tokenizer.error().code, source + ": " + tokenizer.error().message);
  }
  return std::unique_ptr<Tokenizer>(std::move(tokenizer).value());
}

Result<std::unique_ptr<Tokenizer>> load_bert_vocab(const std::filesystem::path& vocab_file,
                                                   const BertVocabOptions& options) {
  auto text = read_file(vocab_file);
  if (!text.ok()) return text.error();
  return make_bert_tokenizer(*text, options, vocab_file.string());
}

}  // namespace verdict::tokenizer
