#include "verdict/tokenizer/added_vocabulary.h"

#include <algorithm>
#include <unordered_set>

#include "verdict/tokenizer/unicode_util.h"

namespace verdict::tokenizer {
namespace {

// Regex `\w$` on text[0, end).
bool ends_with_word(std::string_view text, size_t end) {
  if (end == 0) return false;
  size_t i = end - 1;
  while (i > 0 && (static_cast<unsigned char>(text[i]) & 0xC0) == 0x80) --i;
  return is_word_char(next_code_point(text, &i));
}

// Regex `^\w` on text[begin, ...).
bool starts_with_word(std::string_view text, size_t begin) {
  if (begin >= text.size()) return false;
  return is_word_char(next_code_point(text, &begin));
}

// Start of the whitespace run that ends text[0, end) (regex `\s*$`).
size_t trailing_space_start(std::string_view text, size_t end) {
  size_t start = end;
  while (start > 0) {
    size_t i = start - 1;
    while (i > 0 && (static_cast<unsigned char>(text[i]) & 0xC0) == 0x80) --i;
    size_t probe = i;
    if (!is_white_space(next_code_point(text, &probe))) break;
    start = i;
  }
  return start;
}

// End of the whitespace run that starts at text[begin] (regex `^\s*`).
size_t leading_space_end(std::string_view text, size_t begin) {
  size_t pos = begin;
  while (pos < text.size()) {
    size_t next = pos;
    if (!is_white_space(next_code_point(text, &next))) break;
    pos = next;
  }
  return pos;
}

}  // namespace

void add_token_once(AddedToken token, const std::function<std::optional<int32_t>(const std::string&)>& model_id,
                    int32_t* next_id, std::vector<AddedToken>* tokens) {
  for (const AddedToken& t : *tokens) {
    if (t.content == token.content) return;
  }
  if (const auto known = model_id(token.content)) {
    token.id = *known;
  } else if (token.id < 0) {
    token.id = *next_id;
  }
  *next_id = std::max(*next_id, token.id + 1);
  tokens->push_back(std::move(token));
}

void AddedVocabulary::Matcher::add(std::string_view pattern, int32_t token) {
  if (pattern.empty()) return;
  int32_t node = 0;
  for (const char ch : pattern) {
    const auto byte = static_cast<unsigned char>(ch);
    int32_t next = child(node, byte);
    if (next < 0) {
      next = static_cast<int32_t>(nodes_.size());
      nodes_.emplace_back();
      auto& children = nodes_[static_cast<size_t>(node)].children;
      const auto it = std::lower_bound(children.begin(), children.end(), std::make_pair(byte, int32_t{-1}));
      children.insert(it, {byte, next});
    }
    node = next;
  }
  // Aho-Corasick keeps the first of identical patterns.
  if (nodes_[static_cast<size_t>(node)].token < 0) nodes_[static_cast<size_t>(node)].token = token;
  first_byte_[static_cast<unsigned char>(pattern[0])] = true;
  has_patterns_ = true;
}

int32_t AddedVocabulary::Matcher::child(int32_t node, unsigned char byte) const {
  const auto& children = nodes_[static_cast<size_t>(node)].children;
  const auto it = std::lower_bound(children.begin(), children.end(), std::make_pair(byte, int32_t{-1}));
  return it != children.end() && it->first == byte ? it->second : -1;
}

int32_t AddedVocabulary::Matcher::longest_at(std::string_view text, size_t pos, size_t* end) const {
  if (!first_byte_[static_cast<unsigned char>(text[pos])]) return -1;
  int32_t node = 0;
  int32_t found = -1;
  for (size_t i = pos; i < text.size(); ++i) {
    node = child(node, static_cast<unsigned char>(text[i]));
    if (node < 0) break;
    if (nodes_[static_cast<size_t>(node)].token >= 0) {
      found = nodes_[static_cast<size_t>(node)].token;
      *end = i + 1;
    }
  }
  return found;
}

AddedVocabulary::AddedVocabulary(std::vector<AddedToken> tokens, const Normalizer& normalizer) {
  std::unordered_set<std::string> seen;
  NormalizedString normalized;
  for (auto& token : tokens) {
    if (token.content.empty() || !seen.insert(token.content).second) continue;
    const auto index = static_cast<int32_t>(tokens_.size());
    if (token.normalized) {
      normalizer.normalize(token.content, 0, &normalized);
      normalized_.add(normalized.text, index);
    } else {
      raw_.add(token.content, index);
    }
    tokens_.push_back(std::move(token));
  }
}

void AddedVocabulary::split(const Matcher& matcher, std::string_view text,
                            std::vector<AddedSplit>* out) const {
  out->clear();
  const size_t n = text.size();
  size_t start_offset = 0;  // end of the last split emitted
  size_t pos = 0;
  while (pos < n) {
    size_t stop = 0;
    const int32_t index = matcher.has_patterns() ? matcher.longest_at(text, pos, &stop) : -1;
    if (index < 0) {
      ++pos;
      continue;
    }
    size_t start = pos;
    pos = stop;                          // matches never overlap, even when one is discarded below
    if (start < start_offset) continue;  // inside whitespace an rstrip token already took
    const AddedToken& token = tokens_[static_cast<size_t>(index)];
    if (token.single_word) {
      const bool space_before = start == 0 || !ends_with_word(text, start);
      const bool space_after = stop == n || !starts_with_word(text, stop);
      if (!space_before || !space_after) continue;
    }
    if (token.lstrip) start = std::max(trailing_space_start(text, start), start_offset);
    if (token.rstrip) stop = leading_space_end(text, stop);
    if (start_offset < start)
      out->push_back({static_cast<uint32_t>(start_offset), static_cast<uint32_t>(start), -1});
    out->push_back({static_cast<uint32_t>(start), static_cast<uint32_t>(stop), index});
    start_offset = stop;
  }
  if (start_offset < n) out->push_back({static_cast<uint32_t>(start_offset), static_cast<uint32_t>(n), -1});
}

}  // namespace verdict::tokenizer
