#include "verdict/tokenizer/normalizer.h"

#include <utf8proc.h>

#include "verdict/tokenizer/unicode_util.h"

namespace verdict::tokenizer {
namespace {

struct NormChar {
  char32_t cp;
  Offset align;
};

// One char of a canonical decomposition; `inserted` marks every char after the first of a
// decomposition (Rust's change = 1), which decides how alignments are handed out below.
struct DecomposedChar {
  char32_t cp;
  int ccc;
  bool inserted;
};

// NFD, then drop Mn. Alignments follow Rust's NormalizedString::transform: after canonical
// reordering, a char that starts a decomposition takes the alignment of the next original char
// in sequence and an inserted char that of the last one taken; so a mark moved by reordering
// gets its new position's alignment, exactly as the reference reports it.
void strip_accents(const std::vector<NormChar>& in, uint32_t base, std::vector<NormChar>* out) {
  out->clear();
  out->reserve(in.size() + 8);
  std::vector<DecomposedChar> pending;  // decompositions since the last char below U+00C0
  size_t taken = 0;                     // original chars whose alignment has been handed out
  // Reorders and emits `pending`. Reordering never crosses a starter, so flushing before each
  // char below U+00C0 (a starter that does not decompose) is exact.
  auto flush = [&] {
    for (size_t i = 0; i < pending.size();) {
      if (pending[i].ccc == 0) {
        ++i;
        continue;
      }
      size_t j = i;
      while (j < pending.size() && pending[j].ccc != 0) ++j;
      for (size_t k = i + 1; k < j; ++k) {  // stable insertion sort: runs are a few marks long
        const DecomposedChar key = pending[k];
        size_t m = k;
        while (m > i && pending[m - 1].ccc > key.ccc) {
          pending[m] = pending[m - 1];
          --m;
        }
        pending[m] = key;
      }
      i = j;
    }
    for (const DecomposedChar& d : pending) {
      Offset align;
      if (!d.inserted) {
        align = in[taken++].align;
      } else {
        align = taken > 0 ? in[taken - 1].align : Offset{base, base};
      }
      if (!is_nonspacing_mark(d.cp)) out->push_back({d.cp, align});
    }
    pending.clear();
  };
  utf8proc_int32_t buf[32];
  for (const NormChar& c : in) {
    if (c.cp < 0xC0) {  // nothing below U+00C0 decomposes or is a mark
      if (!pending.empty()) flush();
      out->push_back(c);
      ++taken;
      continue;
    }
    int boundclass = 0;
    const auto n = utf8proc_decompose_char(static_cast<utf8proc_int32_t>(c.cp), buf, 32, UTF8PROC_DECOMPOSE,
                                           &boundclass);
    if (n <= 0 || n > 32) {
      pending.push_back({c.cp, combining_class(c.cp), false});
      continue;
    }
    for (utf8proc_ssize_t i = 0; i < n; ++i) {
      const auto d = static_cast<char32_t>(buf[i]);
      pending.push_back({d, combining_class(d), i > 0});
    }
  }
  flush();
}

void append_char(char32_t cp, Offset align, NormalizedString* out) {
  if (cp < 0x80) {
    out->text.push_back(static_cast<char>(cp));
    out->alignments.push_back(align);
    return;
  }
  const size_t before = out->text.size();
  append_utf8(cp, &out->text);
  out->alignments.insert(out->alignments.end(), out->text.size() - before, align);
}

}  // namespace

void Normalizer::normalize(std::string_view text, uint32_t base, NormalizedString* out) const {
  out->clear();
  out->text.reserve(text.size());
  out->alignments.reserve(text.size());
  if (!enabled_) {
    out->text.assign(text);
    size_t pos = 0;
    while (pos < text.size()) {
      const size_t start = pos;
      next_code_point(text, &pos);
      out->alignments.insert(out->alignments.end(), pos - start,
                             Offset{base + static_cast<uint32_t>(start), base + static_cast<uint32_t>(pos)});
    }
    return;
  }

  std::vector<NormChar> chars;
  chars.reserve(text.size() + 8);
  bool may_decompose = false;  // nothing below U+00C0 decomposes or is a mark
  size_t pos = 0;
  while (pos < text.size()) {
    const auto start = static_cast<uint32_t>(pos);
    char32_t cp = next_code_point(text, &pos);
    const Offset align{base + start, base + static_cast<uint32_t>(pos)};
    if (options_.clean_text) {
      if (cp == 0 || cp == 0xFFFD || is_bert_control(cp)) continue;
      if (is_bert_whitespace(cp)) cp = ' ';
    }
    if (options_.handle_chinese_chars && is_cjk_ideograph(cp)) {
      chars.push_back({' ', align});
      chars.push_back({cp, align});
      chars.push_back({' ', align});
      may_decompose = true;
      continue;
    }
    may_decompose |= cp >= 0xC0;
    chars.push_back({cp, align});
  }

  if (may_decompose && options_.strip_accents.value_or(options_.lowercase)) {
    std::vector<NormChar> stripped;
    strip_accents(chars, base, &stripped);
    chars.swap(stripped);
  }

  for (const NormChar& c : chars) {
    char32_t cp = c.cp;
    if (options_.lowercase) {
      if (cp < 0x80) {
        if (cp >= 'A' && cp <= 'Z') cp += 'a' - 'A';
      } else if (cp == 0x130) {
        // Rust's char::to_lowercase uses the full mapping: U+0130 becomes "i" + U+0307.
        append_char('i', c.align, out);
        cp = 0x307;
      } else {
        cp = static_cast<char32_t>(utf8proc_tolower(static_cast<utf8proc_int32_t>(cp)));
      }
    }
    append_char(cp, c.align, out);
  }
}

}  // namespace verdict::tokenizer
