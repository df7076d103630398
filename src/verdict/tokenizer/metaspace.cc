#include "verdict/tokenizer/metaspace.h"

#include "verdict/tokenizer/spm_normalizer.h"
#include "verdict/tokenizer/unicode_util.h"

namespace verdict::tokenizer {

void metaspace(const MetaspaceOptions& options, uint32_t base, NormalizedString* s,
               std::vector<WordSpan>* words) {
  apply_replace(literal_replace(" ", options.replacement), s);
  const std::string& rep = options.replacement;
  const bool starts_with_rep = s->text.compare(0, rep.size(), rep) == 0;
  bool prepend = false;
  switch (options.prepend) {
    case MetaspaceOptions::Prepend::kAlways:
      prepend = !starts_with_rep;
      break;
    case MetaspaceOptions::Prepend::kFirst:
      prepend = !starts_with_rep && base == 0;  // Rust: the piece starts the original text
      break;
    case MetaspaceOptions::Prepend::kNever:
      break;
  }
  // NormalizedString::prepend: nothing on an empty string; otherwise the new char shares the
  // alignment of the first char.
  if (prepend && !s->text.empty()) {
    const Offset first = s->alignments[0];
    s->text.insert(0, rep);
    s->alignments.insert(s->alignments.begin(), rep.size(), first);
  }
  if (s->text.empty()) return;
  const auto size = static_cast<uint32_t>(s->text.size());
  if (!options.split) {
    words->push_back({0, size});
    return;
  }
  // Split MergedWithNext: a word starts at every ▁ that does not follow another ▁.
  uint32_t start = 0;
  bool previous_is_rep = false;
  size_t pos = 0;
  while (pos < s->text.size()) {
    const bool is_rep = s->text.compare(pos, rep.size(), rep) == 0;
    if (is_rep && !previous_is_rep && pos > 0) {
      words->push_back({start, static_cast<uint32_t>(pos)});
      start = static_cast<uint32_t>(pos);
    }
    previous_is_rep = is_rep;
    if (is_rep) {
      pos += rep.size();
    } else {
      size_t next = pos;
      next_code_point(s->text, &next);
      pos = next;
    }
  }
  words->push_back({start, size});
}

}  // namespace verdict::tokenizer
