#include "verdict/tokenizer/unigram_json.h"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <utility>
#include <vector>

#include "verdict/tokenizer/tokenizer_json.h"
#include "verdict/tokenizer/unicode_util.h"
#include "verdict/tokenizer/unigram_tokenizer.h"

namespace verdict::tokenizer {
namespace {

using nlohmann::json;

std::string type_of(const json& value) {
  return value.is_object() && value.contains("type") && value["type"].is_string()
             ? value["type"].get<std::string>()
             : value.dump();
}

// The value Rust's serde_json (without its float_roundtrip feature, as the tokenizers library
// builds it) gives a number: its decimal digits as a u64 converted to f64, then one
// multiplication or division by a power of ten. Past 2^53 that rounds twice, so about one score
// in five ends 1 ulp away from the correctly rounded value, which decides ties between
// segmentations. The digits are recovered from the correctly parsed double as its shortest
// round-trip form, which is what Rust and Python write.
double serde_json_f64(double value) {
  if (value == 0 || !std::isfinite(value)) return value;
  char buf[64];
  const auto result = std::to_chars(buf, buf + sizeof buf, std::fabs(value));
  const std::string_view text(buf, static_cast<size_t>(result.ptr - buf));
  uint64_t significand = 0;
  int exponent = 0;
  bool fraction = false;
  size_t i = 0;
  for (; i < text.size() && text[i] != 'e'; ++i) {
    if (text[i] == '.') {
      fraction = true;
      continue;
    }
    if (significand > (UINT64_MAX - 9) / 10) return value;  // not a form Rust writes
    significand = significand * 10 + static_cast<uint64_t>(text[i] - '0');
    if (fraction) --exponent;
  }
  if (i < text.size()) {
    int e = 0;
    const char* begin = text.data() + i + 1;
    if (*begin == '+') ++begin;
    std::from_chars(begin, text.data() + text.size(), e);
    exponent += e;
  }
  static const std::vector<double> kPow10 = [] {
    std::vector<double> pow10(309);
    for (int k = 0; k <= 308; ++k)
      pow10[static_cast<size_t>(k)] = std::strtod(("1e" + std::to_string(k)).c_str(), nullptr);
    return pow10;
  }();
  double f = static_cast<double>(significand);
  while (true) {
    const int magnitude = exponent < 0 ? -exponent : exponent;
    if (magnitude <= 308) {
      f = exponent >= 0 ? f * kPow10[static_cast<size_t>(magnitude)]
                        : f / kPow10[static_cast<size_t>(magnitude)];
      break;
    }
    if (f == 0 || exponent >= 0) break;
    f /= 1e308;
    exponent += 308;
  }
  return value < 0 ? -f : f;
}

Status parse_model(const JsonFile& file, UnigramTokenizerSpec* spec) {
  const json& model = file.root["model"];
  const auto vocab = model.find("vocab");
  if (vocab == model.end() || !vocab->is_array()) {
    return file.error(ErrorCode::kCorruptModel, "model.vocab", "is missing or not a list of [piece, score]");
  }
  if (vocab->size() >= static_cast<size_t>(kTokenIdLimit)) {
    return file.error(ErrorCode::kCorruptModel, "model.vocab", "has more than 2^30 pieces");
  }
  spec->pieces.reserve(vocab->size());
  for (size_t i = 0; i < vocab->size(); ++i) {
    const json& entry = (*vocab)[i];
    if (!entry.is_array() || entry.size() != 2 || !entry[0].is_string() || !entry[1].is_number() ||
        !std::isfinite(entry[1].get<double>())) {
      return file.type_error("model.vocab[" + std::to_string(i) + "]", "[piece string, finite score]", entry);
    }
    spec->pieces.push_back({entry[0].get<std::string>(), serde_json_f64(entry[1].get<double>())});
  }
  if (const auto unk = model.find("unk_id"); unk != model.end() && !unk->is_null()) {
    if (!unk->is_number_integer() || unk->get<int64_t>() < 0 ||
        unk->get<int64_t>() >= static_cast<int64_t>(spec->pieces.size())) {
      return file.type_error("model.unk_id", "null or the id of a piece of model.vocab", *unk);
    }
    spec->unk_id = static_cast<int32_t>(unk->get<int64_t>());
  } else {
    // Rust loads such a model but fails on any text with a char no piece covers; Verdict
    // refuses it up front rather than rejecting valid input later.
    return file.error(ErrorCode::kUnsupported, "model.unk_id",
                      "is null; Verdict supports Unigram models with an unknown-token id only");
  }
  auto byte_fallback = get_bool(file, model, "byte_fallback", "model.byte_fallback", false);
  if (!byte_fallback.ok()) return byte_fallback.error();
  spec->byte_fallback = *byte_fallback;
  return {};
}

Status parse_one_normalizer(const JsonFile& file, const json& n, const std::string& field,
                            SpmNormalizer* out) {
  const std::string type = type_of(n);
  if (type == "Precompiled") {
    const auto map = n.find("precompiled_charsmap");
    if (map == n.end() || !map->is_string()) {
      return file.type_error(field + ".precompiled_charsmap", "a base64 string",
                             map == n.end() ? json() : *map);
    }
    const auto blob = decode_base64(map->get_ref<const std::string&>());
    if (!blob)
      return file.error(ErrorCode::kCorruptModel, field + ".precompiled_charsmap", "is not valid base64");
    auto charsmap = PrecompiledCharsmap::parse(*blob);
    if (!charsmap.ok())
      return file.error(ErrorCode::kCorruptModel, field + ".precompiled_charsmap",
                        "is corrupt: " + charsmap.error().message);
    out->add(std::move(charsmap).value());
    return {};
  }
  if (type == "Replace") {
    auto content = get_string(file, n, "content", field + ".content", "");
    if (!content.ok()) return content.error();
    const auto pattern = n.find("pattern");
    if (pattern != n.end() && pattern->is_object() && pattern->size() == 1) {
      if (const auto s = pattern->find("String"); s != pattern->end() && s->is_string()) {
        if (s->get_ref<const std::string&>().empty())
          return file.error(ErrorCode::kCorruptModel, field + ".pattern.String", "is empty");
        out->add(literal_replace(s->get<std::string>(), std::move(*content)));
        return {};
      }
      if (const auto r = pattern->find("Regex"); r != pattern->end() && r->is_string()) {
        auto rule = regex_replace(r->get_ref<const std::string&>(), std::move(*content));
        if (!rule.ok())
          return file.error(rule.error().code, field + ".pattern.Regex",
                            "is unsupported: " + rule.error().message);
        out->add(std::move(rule).value());
        return {};
      }
    }
    return file.type_error(field + ".pattern", "{\"String\": ...} or {\"Regex\": ...}",
                           pattern == n.end() ? json() : *pattern);
  }
  return file.error(ErrorCode::kUnsupported, field + ".type",
                    "is \"" + type +
                        "\", which Verdict does not support with a Unigram model (supported: Precompiled, "
                        "Replace, a Sequence of them, or null)");
}

Status parse_normalizer(const JsonFile& file, UnigramTokenizerSpec* spec) {
  const auto it = file.root.find("normalizer");
  if (it == file.root.end() || it->is_null()) return {};
  if (type_of(*it) == "Sequence") {
    const auto list = it->find("normalizers");
    if (list == it->end() || !list->is_array()) {
      return file.type_error("normalizer.normalizers", "a list", list == it->end() ? json() : *list);
    }
    for (size_t i = 0; i < list->size(); ++i) {
      const std::string field = "normalizer.normalizers[" + std::to_string(i) + "]";
      if (auto s = parse_one_normalizer(file, (*list)[i], field, &spec->normalizer); !s.ok()) return s;
    }
    return {};
  }
  return parse_one_normalizer(file, *it, "normalizer", &spec->normalizer);
}

Status parse_pre_tokenizer(const JsonFile& file, UnigramTokenizerSpec* spec) {
  const auto it = file.root.find("pre_tokenizer");
  if (it == file.root.end() || it->is_null()) return {};
  const json& p = *it;
  const std::string type = type_of(p);
  if (type != "Metaspace") {
    return file.error(
        ErrorCode::kUnsupported, "pre_tokenizer.type",
        "is \"" + type +
            "\", which Verdict does not support with a Unigram model (supported: Metaspace or null)");
  }
  MetaspaceOptions options;
  auto replacement = get_string(file, p, "replacement", "pre_tokenizer.replacement", options.replacement);
  auto add_prefix_space = get_bool(file, p, "add_prefix_space", "pre_tokenizer.add_prefix_space", true);
  auto scheme = get_string(file, p, "prepend_scheme", "pre_tokenizer.prepend_scheme", "");
  auto split = get_bool(file, p, "split", "pre_tokenizer.split", true);
  if (!replacement.ok()) return replacement.error();
  if (!add_prefix_space.ok()) return add_prefix_space.error();
  if (!scheme.ok()) return scheme.error();
  if (!split.ok()) return split.error();
  size_t end = 0;
  if (replacement->empty() || find_invalid_utf8(*replacement) != kValidUtf8 ||
      (next_code_point(*replacement, &end), end != replacement->size())) {
    return file.type_error("pre_tokenizer.replacement", "one character", p["replacement"]);
  }
  options.replacement = std::move(*replacement);
  options.split = *split;
  if (scheme->empty()) {
    options.prepend =
        *add_prefix_space ? MetaspaceOptions::Prepend::kAlways : MetaspaceOptions::Prepend::kNever;
  } else if (*scheme == "always") {
    options.prepend = MetaspaceOptions::Prepend::kAlways;
  } else if (*scheme == "first") {
    options.prepend = MetaspaceOptions::Prepend::kFirst;
  } else if (*scheme == "never") {
    options.prepend = MetaspaceOptions::Prepend::kNever;
  } else {
    return file.type_error("pre_tokenizer.prepend_scheme", "\"always\", \"first\" or \"never\"",
                           p["prepend_scheme"]);
  }
  spec->metaspace = std::move(options);
  return {};
}

Status parse_added_tokens(const JsonFile& file, const FolderConfig& config, UnigramTokenizerSpec* spec) {
  auto next_id = static_cast<int32_t>(spec->pieces.size());
  auto piece_id = [&](const std::string& content) -> std::optional<int32_t> {
    // The last of duplicate pieces, as Rust's token_to_ids.
    for (size_t i = spec->pieces.size(); i-- > 0;) {
      if (spec->pieces[i].piece == content) return static_cast<int32_t>(i);
    }
    return std::nullopt;
  };
  auto add = [&](AddedToken token) { add_token_once(std::move(token), piece_id, &next_id, &spec->added_tokens); };
  auto listed = parse_added_token_list(file, /*id_required=*/false);
  if (!listed.ok()) return listed.error();
  for (AddedToken& token : *listed) add(std::move(token));  // id -1: add() numbers it
  // transformers registers the special tokens the folder's configs name when the file lacks them.
  for (const AddedToken& token : config.extra_tokens) {
    if (token.id >= 0) add(token);
  }
  for (const auto& token : config.special) {
    if (token) add(*token);
  }
  for (const AddedToken& token : config.extra_tokens) {
    if (token.id < 0) add(token);
  }
  return {};
}

}  // namespace

bool is_unigram_model(const JsonFile& file) {
  const auto it = file.root.find("model");
  if (it == file.root.end() || !it->is_object()) return false;
  if (const auto t = it->find("type"); t != it->end() && t->is_string())
    return t->get<std::string>() == "Unigram";
  const auto vocab = it->find("vocab");
  return !it->contains("merges") && vocab != it->end() && vocab->is_array();
}

std::optional<std::string> decode_base64(std::string_view text) {
  auto value_of = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  while (!text.empty() && text.back() == '=') text.remove_suffix(1);
  if (text.size() % 4 == 1) return std::nullopt;
  std::string out;
  out.reserve(text.size() / 4 * 3 + 2);
  uint32_t bits = 0;
  int count = 0;
  for (const char c : text) {
    const int v = value_of(c);
    if (v < 0) return std::nullopt;
    bits = (bits << 6) | static_cast<uint32_t>(v);
    count += 6;
    if (count >= 8) {
      count -= 8;
      out.push_back(static_cast<char>((bits >> count) & 0xFF));
    }
  }
  return out;
}

Result<std::unique_ptr<Tokenizer>> unigram_tokenizer_from_json(const JsonFile& file,
                                                               const FolderConfig& config) {
  UnigramTokenizerSpec spec;
  if (auto s = parse_model(file, &spec); !s.ok()) return s.error();
  if (auto s = parse_normalizer(file, &spec); !s.ok()) return s.error();
  if (auto s = parse_pre_tokenizer(file, &spec); !s.ok()) return s.error();
  if (auto s = parse_post_processor(file, &spec.post_processor); !s.ok()) return s.error();
  if (auto s = parse_added_tokens(file, config, &spec); !s.ok()) return s.error();
  spec.model_max_length = config.model_max_length;
  spec.pad_token = config.special[2] ? config.special[2]->content : "<pad>";
  auto tokenizer = UnigramTokenizer::create(std::move(spec));
  if (!tokenizer.ok())
    return make_error(tokenizer.error().code, file.path.string() + ": " + tokenizer.error().message);
  return std::unique_ptr<Tokenizer>(std::move(tokenizer).value());
}

}  // namespace verdict::tokenizer
