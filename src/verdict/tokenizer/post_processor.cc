#include "verdict/tokenizer/post_processor.h"

#include <algorithm>

namespace verdict::tokenizer {

PostProcessor PostProcessor::bert(const std::string& cls, int32_t cls_id, const std::string& sep,
                                  int32_t sep_id) {
  const TemplatePiece cls_piece{-1, {cls_id}, {cls}, 0};
  const TemplatePiece sep_a{-1, {sep_id}, {sep}, 0};
  const TemplatePiece sep_b{-1, {sep_id}, {sep}, 1};
  PostProcessor p;
  p.single = {cls_piece, TemplatePiece{0, {}, {}, 0}, sep_a};
  p.pair = {cls_piece, TemplatePiece{0, {}, {}, 0}, sep_a, TemplatePiece{1, {}, {}, 1}, sep_b};
  return p;
}

PostProcessor PostProcessor::none() {
  PostProcessor p;
  p.single = {TemplatePiece{0, {}, {}, 0}};
  p.pair = {TemplatePiece{0, {}, {}, 0}, TemplatePiece{1, {}, {}, 1}};
  return p;
}

size_t PostProcessor::added_tokens(bool is_pair) const {
  size_t n = 0;
  for (const auto& piece : is_pair ? pair : single) n += piece.ids.size();
  return n;
}

std::pair<size_t, size_t> truncated_lengths(size_t len_a, std::optional<size_t> len_b, size_t max_length) {
  if (!len_b) return {std::min(len_a, max_length), 0};
  size_t n_a = len_a;
  size_t n_b = *len_b;
  if (n_a + n_b <= max_length) return {n_a, n_b};
  // Longest first, Rust's way: the shorter keeps its length if the longer can take the rest;
  // otherwise both get half, the odd token going to the longer (to B when they are equal).
  const bool swap = n_a > n_b;
  size_t n1 = swap ? n_b : n_a;  // shorter
  size_t n2;
  if (n1 > max_length) {
    n2 = n1;
  } else {
    n2 = std::max(n1, max_length - n1);
  }
  if (n1 + n2 > max_length) {
    n1 = max_length / 2;
    n2 = n1 + max_length % 2;
  }
  // Encoding::truncate never grows a sequence.
  if (swap) return {std::min(n_a, n2), std::min(n_b, n1)};
  return {std::min(n_a, n1), std::min(n_b, n2)};
}

}  // namespace verdict::tokenizer
