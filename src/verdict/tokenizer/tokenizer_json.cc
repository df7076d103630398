#include "verdict/tokenizer/tokenizer_json.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "verdict/tokenizer/bert_tokenizer.h"
#include "verdict/tokenizer/bpe_tokenizer.h"
#include "verdict/tokenizer/json_fields.h"
#include "verdict/tokenizer/unigram_json.h"

namespace verdict::tokenizer {
namespace {

using nlohmann::json;

Result<std::string> model_type(const JsonFile& file) {
  const auto it = file.root.find("model");
  if (it == file.root.end() || !it->is_object()) {
    return file.error(ErrorCode::kCorruptModel, "model", "is missing or not an object");
  }
  const json& model = *it;
  std::string type;
  if (const auto t = model.find("type"); t != model.end() && t->is_string()) {
    type = t->get<std::string>();
  } else {
    // Old files carry no "type"; tell the models apart by their fields, as Rust's untagged
    // deserialization does.
    const auto vocab = model.find("vocab");
    if (model.contains("merges")) {
      type = "BPE";
    } else if (vocab != model.end() && vocab->is_array()) {
      type = "Unigram";
    } else if (model.contains("continuing_subword_prefix") || model.contains("max_input_chars_per_word")) {
      type = "WordPiece";
    } else {
      type = "WordLevel";
    }
  }
  return type;
}

Status parse_model(const JsonFile& file, BertTokenizerSpec* spec) {
  const json& model = file.root["model"];
  auto unk = get_string(file, model, "unk_token", "model.unk_token", "[UNK]");
  auto prefix = get_string(file, model, "continuing_subword_prefix", "model.continuing_subword_prefix", "##");
  auto max_chars = get_int(file, model, "max_input_chars_per_word", "model.max_input_chars_per_word", 100);
  if (!unk.ok()) return unk.error();
  if (!prefix.ok()) return prefix.error();
  if (!max_chars.ok()) return max_chars.error();
  if (*max_chars < 0)
    return file.error(ErrorCode::kCorruptModel, "model.max_input_chars_per_word", "is negative");
  spec->wordpiece = WordPieceOptions{std::move(*unk), std::move(*prefix), static_cast<size_t>(*max_chars)};

  const auto vocab = model.find("vocab");
  if (vocab == model.end() || !vocab->is_object()) {
    return file.error(ErrorCode::kCorruptModel, "model.vocab", "is missing or not an object of token ids");
  }
  for (const auto& [token, id] : vocab->items()) {
    if (!id.is_number_integer() || id.get<int64_t>() < 0 || id.get<int64_t>() >= kTokenIdLimit) {
      return file.type_error("model.vocab." + token, "a token id below 2^30", id);
    }
    spec->vocab.add(token, static_cast<int32_t>(id.get<int64_t>()));
  }
  return {};
}

Status parse_normalizer(const JsonFile& file, const FolderConfig& config, BertTokenizerSpec* spec) {
  const auto it = file.root.find("normalizer");
  if (it == file.root.end() || it->is_null()) {
    spec->normalizer.reset();
    return {};
  }
  const json& n = *it;
  const std::string type =
      n.is_object() && n.contains("type") && n["type"].is_string() ? n["type"].get<std::string>() : n.dump();
  if (type != "BertNormalizer") {
    return file.error(
        ErrorCode::kUnsupported, "normalizer.type",
        "is \"" + type + "\", which Verdict does not support (supported: BertNormalizer or null)");
  }
  auto clean = get_bool(file, n, "clean_text", "normalizer.clean_text", true);
  auto chinese = get_bool(file, n, "handle_chinese_chars", "normalizer.handle_chinese_chars", true);
  auto strip = get_optional_bool(file, n, "strip_accents", "normalizer.strip_accents");
  auto lower = get_bool(file, n, "lowercase", "normalizer.lowercase", true);
  if (!clean.ok()) return clean.error();
  if (!chinese.ok()) return chinese.error();
  if (!strip.ok()) return strip.error();
  if (!lower.ok()) return lower.error();
  BertNormalizerOptions options{*clean, *chinese, *strip, *lower};
  // BertTokenizerFast rebuilds the normalizer when tokenizer_config.json says otherwise.
  if (config.do_lower_case) options.lowercase = *config.do_lower_case;
  if (config.strip_accents_set) options.strip_accents = config.strip_accents;
  if (config.tokenize_chinese_chars) options.handle_chinese_chars = *config.tokenize_chinese_chars;
  spec->normalizer = options;
  return {};
}

Status parse_pre_tokenizer(const JsonFile& file, BertTokenizerSpec* spec) {
  const auto it = file.root.find("pre_tokenizer");
  if (it == file.root.end() || it->is_null()) {
    spec->pre_tokenizer = PreTokenizerKind::kNone;
    return {};
  }
  const json& p = *it;
  const std::string type =
      p.is_object() && p.contains("type") && p["type"].is_string() ? p["type"].get<std::string>() : p.dump();
  if (type != "BertPreTokenizer") {
    return file.error(
        ErrorCode::kUnsupported, "pre_tokenizer.type",
        "is \"" + type + "\", which Verdict does not support (supported: BertPreTokenizer or null)");
  }
  spec->pre_tokenizer = PreTokenizerKind::kBert;
  return {};
}

// `sequences` is how many input texts the template joins: 1 for "single", 2 for "pair".
Result<std::vector<TemplatePiece>> parse_template(const JsonFile& file, const json& pieces, const json& specials,
                                                  const std::string& field, int sequences) {
  if (!pieces.is_array()) return file.type_error(field, "a list of template pieces", pieces);
  std::vector<TemplatePiece> out;
  for (size_t i = 0; i < pieces.size(); ++i) {
    const std::string piece_field = field + "[" + std::to_string(i) + "]";
    const json& piece = pieces[i];
    // An externally tagged enum, as serde reads it: one key, nothing beside it.
    const bool one_key = piece.is_object() && piece.size() == 1;
    const bool is_sequence = one_key && piece.contains("Sequence");
    const bool is_special = one_key && piece.contains("SpecialToken");
    if (!is_sequence && !is_special) {
      return file.type_error(piece_field, "{\"Sequence\": ...} or {\"SpecialToken\": ...}", piece);
    }
    const json& body = is_sequence ? piece["Sequence"] : piece["SpecialToken"];
    if (!body.is_object()) return file.type_error(piece_field, "an object", body);
    auto id = get_string(file, body, "id", piece_field + ".id", "");
    auto type_id = get_int(file, body, "type_id", piece_field + ".type_id", 0);
    if (!id.ok()) return id.error();
    if (!type_id.ok()) return type_id.error();
    TemplatePiece out_piece;
    out_piece.type_id = static_cast<int32_t>(*type_id);
    if (is_sequence) {
      if (*id != "A" && *id != "B")
        return file.error(ErrorCode::kCorruptModel, piece_field + ".id", "must be A or B");
      out_piece.sequence = *id == "A" ? 0 : 1;
    } else {
      const auto special = specials.is_object() ? specials.find(*id) : specials.end();
      if (!specials.is_object() || special == specials.end() || !special->is_object()) {
        return file.error(ErrorCode::kCorruptModel, "post_processor.special_tokens",
                          "has no entry for \"" + *id + "\", which " + piece_field + " uses");
      }
      const auto ids = special->find("ids");
      const auto tokens = special->find("tokens");
      if (ids == special->end() || !ids->is_array() || tokens == special->end() || !tokens->is_array()) {
        return file.error(ErrorCode::kCorruptModel, "post_processor.special_tokens." + *id,
                          "must have \"ids\" and \"tokens\" lists");
      }
      for (const auto& v : *ids) {
        if (!v.is_number_integer())
          return file.type_error("post_processor.special_tokens." + *id + ".ids", "token ids", v);
        out_piece.ids.push_back(static_cast<int32_t>(v.get<int64_t>()));
      }
      for (const auto& v : *tokens) {
        if (!v.is_string())
          return file.type_error("post_processor.special_tokens." + *id + ".tokens", "strings", v);
        out_piece.tokens.push_back(v.get<std::string>());
      }
    }
    out.push_back(std::move(out_piece));
  }
  // Lengths and truncation count each input sequence once: a template that drops one, repeats
  // one or names $B for a single text cannot be encoded consistently (no Hub model has one).
  for (int s = 0; s < 2; ++s) {
    const auto n = std::count_if(out.begin(), out.end(), [s](const TemplatePiece& p) { return p.sequence == s; });
    const long expected = s < sequences ? 1 : 0;
    if (n != expected) {
      return file.error(ErrorCode::kCorruptModel, field,
                        std::string("must hold $") + (s == 0 ? "A" : "B") + (expected ? " exactly once" : " nowhere") +
                            "; it has " + std::to_string(n));
    }
  }
  return out;
}

}  // namespace

Status parse_template_processing(const JsonFile& file, const json& p, PostProcessor* out) {
  const json empty;
  const json& specials = p.contains("special_tokens") ? p["special_tokens"] : empty;
  auto single = parse_template(file, p.contains("single") ? p["single"] : empty, specials, "post_processor.single", 1);
  if (!single.ok()) return single.error();
  auto pair = parse_template(file, p.contains("pair") ? p["pair"] : empty, specials, "post_processor.pair", 2);
  if (!pair.ok()) return pair.error();
  out->single = std::move(*single);
  out->pair = std::move(*pair);
  return {};
}

Status parse_post_processor(const JsonFile& file, PostProcessor* out) {
  const auto it = file.root.find("post_processor");
  if (it == file.root.end() || it->is_null()) {
    *out = PostProcessor::none();
    return {};
  }
  const json& p = *it;
  const std::string type =
      p.is_object() && p.contains("type") && p["type"].is_string() ? p["type"].get<std::string>() : p.dump();
  if (type == "TemplateProcessing") return parse_template_processing(file, p, out);
  if (type == "BertProcessing" || type == "RobertaProcessing") {
    auto token = [&](const char* key) -> Result<std::pair<std::string, int32_t>> {
      const auto v = p.find(key);
      if (v == p.end() || !v->is_array() || v->size() != 2 || !(*v)[0].is_string() ||
          !(*v)[1].is_number_integer()) {
        return file.type_error(std::string("post_processor.") + key, "[token, id]",
                               v == p.end() ? json() : *v);
      }
      return std::make_pair((*v)[0].get<std::string>(), static_cast<int32_t>((*v)[1].get<int64_t>()));
    };
    auto sep = token("sep");
    if (!sep.ok()) return sep.error();
    auto cls = token("cls");
    if (!cls.ok()) return cls.error();
    if (type == "BertProcessing") {
      *out = PostProcessor::bert(cls->first, cls->second, sep->first, sep->second);
      return {};
    }
    // <s> $A </s> and <s> $A </s> </s> $B </s>, every type id 0.
    const TemplatePiece cls_piece{-1, {cls->second}, {cls->first}, 0};
    const TemplatePiece sep_piece{-1, {sep->second}, {sep->first}, 0};
    const TemplatePiece a{0, {}, {}, 0};
    const TemplatePiece b{1, {}, {}, 0};
    out->single = {cls_piece, a, sep_piece};
    out->pair = {cls_piece, a, sep_piece, sep_piece, b, sep_piece};
    return {};
  }
  return file.error(ErrorCode::kUnsupported, "post_processor.type",
                    "is \"" + type +
                        "\", which Verdict does not support (supported: TemplateProcessing, BertProcessing, "
                        "RobertaProcessing or null)");
}

namespace {

Status parse_added_tokens(const JsonFile& file, const FolderConfig& config, BertTokenizerSpec* spec) {
  auto next_id = static_cast<int32_t>(spec->vocab.id_limit());
  const auto vocab_id = [&](const std::string& content) { return spec->vocab.find(content); };
  auto add = [&](AddedToken token) { add_token_once(std::move(token), vocab_id, &next_id, &spec->added_tokens); };
  auto listed = parse_added_token_list(file, /*id_required=*/false);
  if (!listed.ok()) return listed.error();
  for (AddedToken& token : *listed) add(std::move(token));  // id -1: add() numbers it
  for (const AddedToken& token : config.extra_tokens) {
    if (token.id >= 0) add(token);
  }
  // BertTokenizerFast registers its special tokens (configured or default) when the file lacks them.
  for (int i = 0; i < 5; ++i) {
    if (config.special[i]) {
      add(*config.special[i]);
    } else {
      AddedToken token;
      token.content = kSpecialDefaults[i];
      token.id = -1;
      add(std::move(token));
    }
  }
  for (const AddedToken& token : config.extra_tokens) {
    if (token.id < 0) add(token);
  }
  return {};
}

Result<std::unique_ptr<Tokenizer>> from_json_file(const JsonFile& file, const FolderConfig& config) {
  const std::filesystem::path& path = file.path;
  auto type = model_type(file);
  if (!type.ok()) return type.error();
  if (*type == "BPE") return load_bpe_tokenizer_json(file, config);
  if (*type == "Unigram" || is_unigram_model(file)) return unigram_tokenizer_from_json(file, config);
  if (*type != "WordPiece") {
    return file.error(ErrorCode::kUnsupported, "model.type",
                      "is \"" + *type + "\", which Verdict does not support (supported: WordPiece, BPE, Unigram)");
  }
  BertTokenizerSpec spec;
  if (auto s = parse_model(file, &spec); !s.ok()) return s.error();
  if (auto s = parse_normalizer(file, config, &spec); !s.ok()) return s.error();
  if (auto s = parse_pre_tokenizer(file, &spec); !s.ok()) return s.error();
  if (auto s = parse_post_processor(file, &spec.post_processor); !s.ok()) return s.error();
  if (auto s = parse_added_tokens(file, config, &spec); !s.ok()) return s.error();
  spec.model_max_length = config.model_max_length;
  spec.pad_token = special_content(config, 2);
  auto tokenizer = BertTokenizer::create(std::move(spec));
  if (!tokenizer.ok())
    return make_error(tokenizer.error().code, path.string() + ": " + tokenizer.error().message);
  return std::unique_ptr<Tokenizer>(std::move(tokenizer).value());
}

}  // namespace

Result<std::unique_ptr<Tokenizer>> load_tokenizer_json(const std::filesystem::path& path,
                                                       const FolderConfig& config) {
  auto parsed = read_json(path);
  if (!parsed.ok()) return parsed.error();
  if (!*parsed) return make_error(ErrorCode::kNotFound, path.string() + ": no such file");
  return from_json_file(**parsed, config);
}

Result<std::unique_ptr<Tokenizer>> parse_tokenizer_json(std::string_view json_text,
                                                        const std::filesystem::path& path,
                                                        const FolderConfig& config) {
  auto file = parse_json(json_text, path);
  if (!file.ok()) return file.error();
  return from_json_file(*file, config);
}

}  // namespace verdict::tokenizer
