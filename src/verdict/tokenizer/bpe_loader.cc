// Reading a byte-level BPE tokenizer: vocab.json + merges.txt (as transformers' RobertaConverter
// builds it) or a tokenizer.json with a BPE model.
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "verdict/common/file_util.h"
#include "verdict/tokenizer/bpe_tokenizer.h"
#include "verdict/tokenizer/tokenizer_json.h"
#include "verdict/tokenizer/unicode_util.h"

namespace verdict::tokenizer {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using Merges = std::vector<std::pair<std::string, std::string>>;

// What tokenizer_config.json says of the byte-level parts. RobertaTokenizerFast rebuilds the
// pre-tokenizer and post-processor of tokenizer.json with its own arguments, whose defaults are
// add_prefix_space=False, trim_offsets=True.
struct ByteLevelConfig {
  bool add_prefix_space = false;
  bool trim_offsets = true;
};

Result<ByteLevelConfig> read_byte_level_config(const fs::path& dir) {
  ByteLevelConfig out;
  auto file = read_json(dir / "tokenizer_config.json");
  if (!file.ok()) return file.error();
  if (!*file) return out;
  auto prefix = get_bool(**file, (*file)->root, "add_prefix_space", "add_prefix_space", false);
  auto trim = get_bool(**file, (*file)->root, "trim_offsets", "trim_offsets", true);
  if (!prefix.ok()) return prefix.error();
  if (!trim.ok()) return trim.error();
  out.add_prefix_space = *prefix;
  out.trim_offsets = *trim;
  return out;
}

Status add_vocab_entries(const JsonFile& file, const json& vocab, const std::string& field, Vocab* out) {
  if (!vocab.is_object()) return file.type_error(field, "an object of token ids", vocab);
  for (const auto& [token, id] : vocab.items()) {
    if (!id.is_number_integer() || id.get<int64_t>() < 0 || id.get<int64_t>() >= kTokenIdLimit) {
      return file.type_error(field.empty() ? token : field + "." + token, "a token id below 2^30", id);
    }
    out->add(token, static_cast<int32_t>(id.get<int64_t>()));
  }
  if (out->size() == 0) return file.error(ErrorCode::kCorruptModel, field, "is an empty vocabulary");
  return {};
}

// RoBERTa's special tokens (configured or default) with RobertaTokenizerFast's flags, then the
// extra ones; a content seen before keeps its first entry.
void add_special_tokens(const FolderConfig& config, const Vocab& vocab, std::vector<AddedToken>* tokens) {
  auto next_id = static_cast<int32_t>(vocab.id_limit());
  for (const AddedToken& t : *tokens) next_id = std::max(next_id, t.id + 1);
  auto add = [&](AddedToken token) {
    if (token.content.empty()) return;
    for (const AddedToken& t : *tokens) {
      if (t.content == token.content) return;
    }
    if (const auto known = vocab.find(token.content)) {
      token.id = *known;
    } else if (token.id < 0) {
      token.id = next_id;
    }
    next_id = std::max(next_id, token.id + 1);
    tokens->push_back(std::move(token));
  };
  for (const AddedToken& token : config.extra_tokens) {
    if (token.id >= 0) add(token);
  }
  // Order of RobertaTokenizer's added tokens: <s>, <pad>, </s>, <unk>, then <mask>.
  for (const int i : {3, 2, 1, 0, 4}) {
    AddedToken token;
    if (config.special[i]) {
      token = *config.special[i];
    } else {
      token.content = kRobertaSpecialDefaults[i];
    }
    token.id = -1;
    token.special = true;
    token.normalized = false;
    if (i == 4) token.lstrip = true;  // RobertaTokenizerFast's mask token takes the space before it
    add(std::move(token));
  }
  for (const AddedToken& token : config.extra_tokens) {
    if (token.id < 0) add(token);
  }
}

PostProcessor roberta_processing(const std::string& cls, int32_t cls_id, const std::string& sep, int32_t sep_id) {
  const TemplatePiece cls_piece{-1, {cls_id}, {cls}, 0};
  const TemplatePiece sep_piece{-1, {sep_id}, {sep}, 0};
  PostProcessor p;
  p.single = {cls_piece, TemplatePiece{0, {}, {}, 0}, sep_piece};
  // <s> A </s></s> B </s>, every type id 0.
  p.pair = {cls_piece, TemplatePiece{0, {}, {}, 0}, sep_piece, sep_piece, TemplatePiece{1, {}, {}, 0}, sep_piece};
  return p;
}

Result<std::unique_ptr<Tokenizer>> finish(Vocab vocab, const Merges& merges, BpeOptions options,
                                          BpeTokenizerSpec spec, const std::string& merges_source,
                                          const std::vector<size_t>& merge_lines) {
  size_t bad = 0;
  auto bpe = Bpe::create(std::move(vocab), merges, std::move(options), &bad);
  if (!bpe.ok()) {
    std::string where = merges_source;
    if (bpe.error().message.rfind("merge", 0) == 0 && bad < merge_lines.size()) {
      where += merge_lines[bad] > 0 ? ":" + std::to_string(merge_lines[bad]) : "[" + std::to_string(bad) + "]";
    }
    return make_error(bpe.error().code, where + ": " + bpe.error().message);
  }
  return std::unique_ptr<Tokenizer>(new BpeTokenizer(std::move(*bpe), std::move(spec)));
}

// merges.txt: an optional "#version" first line, then "a b" per line; blank lines are skipped.
Status parse_merges_txt(std::string_view text, const std::string& source, Merges* merges,
                        std::vector<size_t>* lines) {
  if (const size_t bad = find_invalid_utf8(text); bad != kValidUtf8) {
    return make_error(ErrorCode::kCorruptModel, source + ": not valid UTF-8 (byte " + std::to_string(bad) + ")");
  }
  size_t pos = 0, line = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view content = text.substr(pos, end - pos);
    pos = end + 1;
    ++line;
    if (!content.empty() && content.back() == '\r') content.remove_suffix(1);
    if (content.empty() || (line == 1 && content.rfind("#version", 0) == 0)) continue;
    const size_t space = content.find(' ');
    if (space == std::string_view::npos || space == 0 || space + 1 == content.size() ||
        content.find(' ', space + 1) != std::string_view::npos) {
      return make_error(ErrorCode::kCorruptModel, source + ":" + std::to_string(line) +
                                                      ": a merge must be two tokens separated by one space, found \"" +
                                                      std::string(content.substr(0, 80)) + "\"");
    }
    merges->emplace_back(std::string(content.substr(0, space)), std::string(content.substr(space + 1)));
    lines->push_back(line);
  }
  return {};
}

std::string type_of(const json& value) {
  return value.is_object() && value.contains("type") && value["type"].is_string() ? value["type"].get<std::string>()
                                                                                  : value.dump();
}

Status parse_bpe_model(const JsonFile& file, Vocab* vocab, Merges* merges, BpeOptions* options) {
  const json& model = file.root["model"];
  if (const auto it = model.find("dropout"); it != model.end() && !it->is_null()) {
    if (!it->is_number()) return file.type_error("model.dropout", "a number or null", *it);
    if (it->get<double>() != 0.0)
      return file.error(ErrorCode::kUnsupported, "model.dropout", "is set; Verdict supports BPE without dropout");
  }
  for (const char* key : {"continuing_subword_prefix", "end_of_word_suffix"}) {
    auto value = get_string(file, model, key, std::string("model.") + key, "");
    if (!value.ok()) return value.error();
    if (!value->empty()) {
      return file.error(ErrorCode::kUnsupported, std::string("model.") + key,
                        "is \"" + *value + "\"; Verdict supports byte-level BPE without one");
    }
  }
  auto byte_fallback = get_bool(file, model, "byte_fallback", "model.byte_fallback", false);
  if (!byte_fallback.ok()) return byte_fallback.error();
  if (*byte_fallback)
    return file.error(ErrorCode::kUnsupported, "model.byte_fallback", "is true; Verdict supports byte-level BPE only");
  auto fuse = get_bool(file, model, "fuse_unk", "model.fuse_unk", false);
  auto ignore = get_bool(file, model, "ignore_merges", "model.ignore_merges", false);
  if (!fuse.ok()) return fuse.error();
  if (!ignore.ok()) return ignore.error();
  options->fuse_unk = *fuse;
  options->ignore_merges = *ignore;
  if (const auto it = model.find("unk_token"); it != model.end() && !it->is_null()) {
    if (!it->is_string()) return file.type_error("model.unk_token", "a string or null", *it);
    options->unk_token = it->get<std::string>();
  }
  const auto v = model.find("vocab");
  if (v == model.end()) return file.error(ErrorCode::kCorruptModel, "model.vocab", "is missing");
  if (auto s = add_vocab_entries(file, *v, "model.vocab", vocab); !s.ok()) return s;
  const auto m = model.find("merges");
  if (m == model.end() || !m->is_array()) {
    return file.error(ErrorCode::kCorruptModel, "model.merges", "is missing or not a list");
  }
  for (size_t i = 0; i < m->size(); ++i) {
    const json& merge = (*m)[i];
    const std::string field = "model.merges[" + std::to_string(i) + "]";
    if (merge.is_string()) {  // older layout: "a b"
      const std::string s = merge.get<std::string>();
      const size_t space = s.find(' ');
      if (space == std::string::npos || space == 0 || space + 1 == s.size() ||
          s.find(' ', space + 1) != std::string::npos) {
        return file.type_error(field, "\"a b\" (two tokens separated by one space)", merge);
      }
      merges->emplace_back(s.substr(0, space), s.substr(space + 1));
    } else if (merge.is_array() && merge.size() == 2 && merge[0].is_string() && merge[1].is_string()) {
      merges->emplace_back(merge[0].get<std::string>(), merge[1].get<std::string>());
    } else {
      return file.type_error(field, "\"a b\" or [\"a\", \"b\"]", merge);
    }
  }
  return {};
}

Status parse_pre_tokenizer(const JsonFile& file, ByteLevelOptions* options) {
  const auto it = file.root.find("pre_tokenizer");
  const std::string type = it == file.root.end() ? "null" : type_of(*it);
  if (type != "ByteLevel") {
    return file.error(ErrorCode::kUnsupported, "pre_tokenizer.type",
                      "is \"" + type + "\", which Verdict does not support with a BPE model (supported: ByteLevel)");
  }
  auto prefix = get_bool(file, *it, "add_prefix_space", "pre_tokenizer.add_prefix_space", true);
  auto regex = get_bool(file, *it, "use_regex", "pre_tokenizer.use_regex", true);
  if (!prefix.ok()) return prefix.error();
  if (!regex.ok()) return regex.error();
  options->add_prefix_space = *prefix;
  options->use_regex = *regex;
  return {};
}

Status parse_post_processor(const JsonFile& file, BpeTokenizerSpec* spec) {
  const auto it = file.root.find("post_processor");
  if (it == file.root.end() || it->is_null()) return {};
  const json& p = *it;
  const std::string type = type_of(p);
  if (type == "RobertaProcessing") {
    auto token = [&](const char* key) -> Result<std::pair<std::string, int32_t>> {
      const auto v = p.find(key);
      if (v == p.end() || !v->is_array() || v->size() != 2 || !(*v)[0].is_string() ||
          !(*v)[1].is_number_integer() || (*v)[1].get<int64_t>() < 0 || (*v)[1].get<int64_t>() >= kTokenIdLimit) {
        return file.type_error(std::string("post_processor.") + key, "[token, id]", v == p.end() ? json() : *v);
      }
      return std::make_pair((*v)[0].get<std::string>(), static_cast<int32_t>((*v)[1].get<int64_t>()));
    };
    auto sep = token("sep");
    if (!sep.ok()) return sep.error();
    auto cls = token("cls");
    if (!cls.ok()) return cls.error();
    auto trim = get_bool(file, p, "trim_offsets", "post_processor.trim_offsets", true);
    auto prefix = get_bool(file, p, "add_prefix_space", "post_processor.add_prefix_space", true);
    if (!trim.ok()) return trim.error();
    if (!prefix.ok()) return prefix.error();
    spec->post_processor = roberta_processing(cls->first, cls->second, sep->first, sep->second);
    spec->trim_offsets = *trim;
    spec->trim_add_prefix_space = *prefix;
    return {};
  }
  if (type == "ByteLevel") {
    auto trim = get_bool(file, p, "trim_offsets", "post_processor.trim_offsets", true);
    if (!trim.ok()) return trim.error();
    spec->trim_offsets = *trim;
    return {};
  }
  if (type == "TemplateProcessing") return parse_template_processing(file, p, &spec->post_processor);
  return file.error(ErrorCode::kUnsupported, "post_processor.type",
                    "is \"" + type +
                        "\", which Verdict does not support with a BPE model (supported: RobertaProcessing, "
                        "ByteLevel, TemplateProcessing or null)");
}

Status parse_added_tokens(const JsonFile& file, std::vector<AddedToken>* tokens) {
  auto listed = parse_added_token_list(file, /*id_required=*/true);
  if (!listed.ok()) return listed.error();
  for (AddedToken& token : *listed) {
    bool seen = false;
    for (const AddedToken& t : *tokens) seen = seen || t.content == token.content;
    if (!seen) tokens->push_back(std::move(token));
  }
  return {};
}

}  // namespace

Result<std::unique_ptr<Tokenizer>> load_bpe_tokenizer_json(const JsonFile& file, const FolderConfig& config) {
  const auto normalizer = file.root.find("normalizer");
  if (normalizer != file.root.end() && !normalizer->is_null()) {
    return file.error(ErrorCode::kUnsupported, "normalizer.type",
                      "is \"" + type_of(*normalizer) +
                          "\", which Verdict does not support with a BPE model (supported: null)");
  }
  Vocab vocab;
  Merges merges;
  BpeOptions options;
  BpeTokenizerSpec spec;
  if (auto s = parse_bpe_model(file, &vocab, &merges, &options); !s.ok()) return s.error();
  if (auto s = parse_pre_tokenizer(file, &spec.byte_level); !s.ok()) return s.error();
  if (auto s = parse_post_processor(file, &spec); !s.ok()) return s.error();
  if (auto s = parse_added_tokens(file, &spec.added_tokens); !s.ok()) return s.error();
  auto byte_level = read_byte_level_config(file.path.parent_path());
  if (!byte_level.ok()) return byte_level.error();
  spec.byte_level.add_prefix_space = byte_level->add_prefix_space;
  spec.trim_add_prefix_space = byte_level->add_prefix_space;
  if (spec.trim_offsets) spec.trim_offsets = byte_level->trim_offsets;
  add_special_tokens(config, vocab, &spec.added_tokens);
  spec.model_max_length = config.model_max_length;
  spec.pad_token = config.special[2] ? config.special[2]->content : kRobertaSpecialDefaults[2];
  std::vector<size_t> lines;  // merges of tokenizer.json are named by index
  for (size_t i = 0; i < merges.size(); ++i) lines.push_back(0);
  return finish(std::move(vocab), merges, std::move(options), std::move(spec), file.path.string() + " \"model.merges\"",
                lines);
}

Result<std::unique_ptr<Tokenizer>> load_bpe_files(const fs::path& dir, const FolderConfig& config) {
  const fs::path vocab_path = dir / "vocab.json";
  const fs::path merges_path = dir / "merges.txt";
  auto vocab_file = read_json(vocab_path);
  if (!vocab_file.ok()) return vocab_file.error();
  if (!*vocab_file) return make_error(ErrorCode::kNotFound, vocab_path.string() + ": no such file");
  Vocab vocab;
  if (auto s = add_vocab_entries(**vocab_file, (*vocab_file)->root, "", &vocab); !s.ok()) return s.error();

  auto merges_text = read_file(merges_path);
  if (!merges_text.ok()) return merges_text.error();
  Merges merges;
  std::vector<size_t> lines;
  if (auto s = parse_merges_txt(*merges_text, merges_path.string(), &merges, &lines); !s.ok()) return s.error();

  auto byte_level = read_byte_level_config(dir);
  if (!byte_level.ok()) return byte_level.error();
  BpeTokenizerSpec spec;
  spec.byte_level.add_prefix_space = byte_level->add_prefix_space;
  spec.trim_offsets = true;  // RobertaConverter always trims
  spec.trim_add_prefix_space = byte_level->add_prefix_space;
  add_special_tokens(config, vocab, &spec.added_tokens);
  auto id_of = [&](int index) -> std::pair<std::string, int32_t> {
    const std::string content = config.special[index] ? config.special[index]->content : kRobertaSpecialDefaults[index];
    for (const AddedToken& t : spec.added_tokens) {
      if (t.content == content) return {content, t.id};
    }
    return {content, 0};
  };
  const auto [cls, cls_id] = id_of(3);
  const auto [sep, sep_id] = id_of(1);
  spec.post_processor = roberta_processing(cls, cls_id, sep, sep_id);
  spec.model_max_length = config.model_max_length;
  spec.pad_token = id_of(2).first;
  return finish(std::move(vocab), merges, BpeOptions{}, std::move(spec), merges_path.string(), lines);
}

}  // namespace verdict::tokenizer
