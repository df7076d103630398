#include "verdict/tokenizer/precompiled_charsmap.h"

#include <utf8proc.h>

#include <algorithm>

#include "verdict/tokenizer/unicode_util.h"

namespace verdict::tokenizer {
namespace {

uint32_t read_u32_le(const unsigned char* p) {
  return uint32_t{p[0]} | (uint32_t{p[1]} << 8) | (uint32_t{p[2]} << 16) | (uint32_t{p[3]} << 24);
}

// darts-clone unit fields.
bool has_leaf(uint32_t unit) { return ((unit >> 8) & 1) == 1; }
uint32_t value(uint32_t unit) { return unit & ((1u << 31) - 1); }
uint32_t label(uint32_t unit) { return unit & ((1u << 31) | 0xFF); }
size_t offset(uint32_t unit) { return static_cast<size_t>((unit >> 10) << ((unit & (1u << 9)) >> 6)); }

size_t char_count(std::string_view s) {
  size_t n = 0;
  for (const char c : s) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}

// Rust's `replace` helper of the Precompiled normalizer: the new chars, then the difference in
// char count put on the last ones inserted, or subtracted from the last change so far (which may
// belong to an earlier cluster, or be absent at the very start).
void push_replacement(std::string_view old_part, std::string_view new_part,
                      std::vector<CharChange>* changes) {
  const auto old_count = static_cast<int64_t>(char_count(old_part));
  const auto new_count = static_cast<int64_t>(char_count(new_part));
  size_t pos = 0;
  while (pos < new_part.size()) changes->push_back({next_code_point(new_part, &pos), 0});
  const int64_t diff = new_count - old_count;
  if (diff > 0) {
    const size_t n = std::min(static_cast<size_t>(diff), changes->size());
    for (size_t i = changes->size() - n; i < changes->size(); ++i) (*changes)[i].change = 1;
  } else if (diff < 0 && !changes->empty()) {
    changes->back().change += diff;
  }
}

}  // namespace

Result<PrecompiledCharsmap> PrecompiledCharsmap::parse(std::string_view blob) {
  const auto* p = reinterpret_cast<const unsigned char*>(blob.data());
  if (blob.size() < 4) {
    return make_error(ErrorCode::kCorruptModel, "the precompiled charsmap is " + std::to_string(blob.size()) +
                                                    " bytes, too short for its 4-byte header");
  }
  const uint32_t trie_bytes = read_u32_le(p);
  const size_t units = trie_bytes / 4;  // Rust reads whole units only
  if (units > (blob.size() - 4) / 4) {
    return make_error(ErrorCode::kCorruptModel, "the precompiled charsmap declares a trie of " +
                                                    std::to_string(trie_bytes) + " bytes but holds only " +
                                                    std::to_string(blob.size() - 4) + " after its header");
  }
  if (units == 0) return make_error(ErrorCode::kCorruptModel, "the precompiled charsmap has an empty trie");
  PrecompiledCharsmap map;
  map.trie_.resize(units);
  for (size_t i = 0; i < units; ++i) map.trie_[i] = read_u32_le(p + 4 + 4 * i);
  map.replacements_.assign(blob.substr(4 + 4 * units));
  if (const size_t bad = find_invalid_utf8(map.replacements_); bad != kValidUtf8) {
    return make_error(ErrorCode::kCorruptModel,
                      "the precompiled charsmap's replacement strings are not valid UTF-8 (byte " +
                          std::to_string(4 + 4 * units + bad) + ")");
  }
  return map;
}

std::optional<std::string_view> PrecompiledCharsmap::transform(std::string_view chunk) const {
  const size_t size = trie_.size();
  size_t node = 0;
  node ^= offset(trie_[0]);
  for (const char ch : chunk) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == 0) break;
    node ^= c;
    if (node >= size) return std::nullopt;
    const uint32_t unit = trie_[node];
    if (label(unit) != c) return std::nullopt;
    node ^= offset(unit);
    if (has_leaf(unit)) {
      if (node >= size) return std::nullopt;
      const size_t index = value(trie_[node]);
      // The first (shortest) match is the answer; it must start a char of the blob.
      if (index > replacements_.size()) return std::nullopt;
      if (index < replacements_.size() && (static_cast<unsigned char>(replacements_[index]) & 0xC0) == 0x80) {
        return std::nullopt;
      }
      const size_t end = replacements_.find('\0', index);
      return std::string_view(replacements_)
          .substr(index, (end == std::string::npos ? replacements_.size() : end) - index);
    }
  }
  return std::nullopt;
}

void PrecompiledCharsmap::normalize(NormalizedString* s, uint32_t base) const {
  const std::string_view text = s->text;
  std::vector<CharChange> changes;
  changes.reserve(text.size());
  bool modified = false;
  auto apply_to_cluster = [&](size_t begin, size_t end) {
    const std::string_view cluster = text.substr(begin, end - begin);
    if (cluster.size() < 6) {
      if (const auto norm = transform(cluster)) {
        modified = true;
        push_replacement(cluster, *norm, &changes);
        return;
      }
    }
    size_t pos = 0;
    while (pos < cluster.size()) {
      const size_t start = pos;
      const char32_t cp = next_code_point(cluster, &pos);
      const std::string_view part = cluster.substr(start, pos - start);
      if (const auto norm = transform(part)) {
        modified = true;
        push_replacement(part, *norm, &changes);
      } else {
        changes.push_back({cp, 0});
      }
    }
  };
  // Extended grapheme clusters (Rust's graphemes(true)) from utf8proc's break rules.
  size_t cluster_start = 0;
  size_t pos = 0;
  utf8proc_int32_t state = 0;
  char32_t prev = 0;
  while (pos < text.size()) {
    const size_t start = pos;
    const char32_t cp = next_code_point(text, &pos);
    if (start > 0 && utf8proc_grapheme_break_stateful(static_cast<utf8proc_int32_t>(prev),
                                                      static_cast<utf8proc_int32_t>(cp), &state)) {
      apply_to_cluster(cluster_start, start);
      cluster_start = start;
    }
    prev = cp;
  }
  if (cluster_start < text.size()) apply_to_cluster(cluster_start, text.size());
  if (modified) apply_changes(changes, base, s);
}

void apply_changes(const std::vector<CharChange>& changes, uint32_t base, NormalizedString* s) {
  const std::string_view old_text = s->text;
  const std::vector<Offset>& old_align = s->alignments;
  NormalizedString out;
  out.text.reserve(old_text.size() + 8);
  out.alignments.reserve(old_text.size() + 8);
  size_t offset = 0;    // byte in old_text of the next original char
  size_t consumed = 0;  // same, for the iterator of replaced chars
  auto next_char_size = [&]() -> size_t {
    if (consumed >= old_text.size()) return 0;
    size_t p = consumed;
    next_code_point(old_text, &p);
    const size_t n = p - consumed;
    consumed = p;
    return n;
  };
  // Past the end (only with inconsistent changes, which Rust would not survive) the last
  // alignment stands in.
  auto align_at = [&](size_t idx) -> Offset {
    if (old_align.empty()) return Offset{base, base};
    return old_align[idx < old_align.size() ? idx : old_align.size() - 1];
  };
  for (const CharChange& c : changes) {
    Offset align;
    if (c.change > 0) {
      align = offset < 1 ? Offset{base, base} : align_at(offset - 1);
    } else {
      align = align_at(offset);
    }
    size_t replaced = c.change > 0 ? 0 : next_char_size();
    size_t removed = 0;
    for (int64_t i = 0; i < -c.change; ++i) {
      const size_t n = next_char_size();
      if (n == 0) break;
      removed += n;
    }
    offset += replaced + removed;
    const size_t before = out.text.size();
    append_utf8(c.cp, &out.text);
    out.alignments.insert(out.alignments.end(), out.text.size() - before, align);
  }
  *s = std::move(out);
}

}  // namespace verdict::tokenizer
