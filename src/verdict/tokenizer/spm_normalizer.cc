#include "verdict/tokenizer/spm_normalizer.h"

#include <charconv>
#include <cstdint>

#include "verdict/tokenizer/unicode_util.h"

namespace verdict::tokenizer {
namespace {

bool is_regex_meta(char c) {
  return std::string_view("\\.+*?()|[]{}^$#&-~").find(c) != std::string_view::npos;
}

// Reads a decimal number at r[*pos]; false if there is none.
bool read_number(std::string_view r, size_t* pos, size_t* out) {
  const char* begin = r.data() + *pos;
  const auto [end, ec] = std::from_chars(begin, r.data() + r.size(), *out);
  if (ec != std::errc() || end == begin) return false;
  *pos += static_cast<size_t>(end - begin);
  return true;
}

}  // namespace

ReplaceRule literal_replace(std::string pattern, std::string content) {
  return ReplaceRule{std::move(pattern), 1, 1, std::move(content)};
}

Result<ReplaceRule> regex_replace(std::string_view regex, std::string content) {
  auto unsupported = [&] {
    return make_error(ErrorCode::kUnsupported,
                      "the Replace regex \"" + std::string(regex) +
                          "\" is not one Verdict implements (supported: a literal, or one char followed by "
                          "+, {n}, {n,} or {n,m})");
  };
  bool has_meta = false;
  for (const char c : regex) has_meta |= is_regex_meta(c);
  if (!has_meta && !regex.empty()) return literal_replace(std::string(regex), std::move(content));
  if (find_invalid_utf8(regex) != kValidUtf8 || regex.empty()) return unsupported();
  size_t pos = 0;
  std::string unit;
  if (regex[0] == '\\') {
    if (regex.size() < 2 || !is_regex_meta(regex[1])) return unsupported();
    unit = regex.substr(1, 1);
    pos = 2;
  } else {
    if (is_regex_meta(regex[0])) return unsupported();
    next_code_point(regex, &pos);
    unit = regex.substr(0, pos);
  }
  ReplaceRule rule{unit, 1, 1, std::move(content)};
  const std::string_view rest = regex.substr(pos);
  if (rest == "+") {
    rule.max_repeat = SIZE_MAX;
    return rule;
  }
  if (rest.empty()) return rule;
  if (rest.front() != '{' || rest.back() != '}') return unsupported();
  const std::string_view inner = rest.substr(1, rest.size() - 2);
  size_t p = 0;
  if (!read_number(inner, &p, &rule.min_repeat)) return unsupported();
  rule.max_repeat = rule.min_repeat;
  if (p < inner.size()) {
    if (inner[p] != ',') return unsupported();
    ++p;
    rule.max_repeat = SIZE_MAX;
    if (p < inner.size() && !read_number(inner, &p, &rule.max_repeat)) return unsupported();
  }
  if (p != inner.size() || rule.min_repeat == 0 || rule.max_repeat < rule.min_repeat) return unsupported();
  return rule;
}

void apply_replace(const ReplaceRule& rule, NormalizedString* s) {
  const std::string_view text = s->text;
  const std::string_view unit = rule.unit;
  if (unit.empty() || text.find(unit) == std::string_view::npos) return;
  NormalizedString out;
  out.text.reserve(text.size());
  out.alignments.reserve(text.size());
  size_t pos = 0;
  while (pos < text.size()) {
    size_t repeats = 0;
    size_t end = pos;
    while (repeats < rule.max_repeat && text.compare(end, unit.size(), unit) == 0) {
      end += unit.size();
      ++repeats;
    }
    if (repeats >= rule.min_repeat) {
      out.text += rule.content;
      out.alignments.insert(out.alignments.end(), rule.content.size(), s->alignments[end - 1]);
      pos = end;
      continue;
    }
    // No match here: copy one char.
    size_t next = pos;
    next_code_point(text, &next);
    out.text.append(text.substr(pos, next - pos));
    out.alignments.insert(out.alignments.end(), s->alignments.begin() + static_cast<std::ptrdiff_t>(pos),
                          s->alignments.begin() + static_cast<std::ptrdiff_t>(next));
    pos = next;
  }
  *s = std::move(out);
}

void SpmNormalizer::normalize(std::string_view text, uint32_t base, NormalizedString* out) const {
  out->clear();
  out->text.assign(text);
  out->alignments.reserve(text.size());
  size_t pos = 0;
  while (pos < text.size()) {
    const size_t start = pos;
    next_code_point(text, &pos);
    out->alignments.insert(out->alignments.end(), pos - start,
                           Offset{base + static_cast<uint32_t>(start), base + static_cast<uint32_t>(pos)});
  }
  for (const auto& step : steps_) {
    if (const auto* map = std::get_if<PrecompiledCharsmap>(&step)) {
      map->normalize(out, base);
    } else {
      apply_replace(std::get<ReplaceRule>(step), out);
    }
  }
}

}  // namespace verdict::tokenizer
