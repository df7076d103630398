#include "verdict/tokenizer/encoding_builder.h"

#include <limits>

#include "verdict/tokenizer/unicode_util.h"

namespace verdict::tokenizer {

std::optional<Error> check_input_utf8(std::string_view text, const char* what) {
  if (text.size() > std::numeric_limits<uint32_t>::max()) {
    return make_error(ErrorCode::kInvalidArgument,
                      std::string(what) + " is " + std::to_string(text.size()) + " bytes, more than 4 GiB");
  }
  if (const size_t bad = find_invalid_utf8(text); bad != kValidUtf8) {
    std::string message = "input is not valid UTF-8 (byte " + std::to_string(bad) + ")";
    if (std::string_view(what) != "text") message += " in the " + std::string(what);
    return make_error(ErrorCode::kInvalidArgument, std::move(message));
  }
  return std::nullopt;
}

Encoding build_encoding(const PostProcessor& post_processor, SequenceTokens a, const SequenceTokens* b,
                        const EncodeOptions& options,
                        const std::function<std::string(int32_t)>& id_to_token,
                        const TruncatedSequenceHook& after_truncation) {
  const bool is_pair = b != nullptr;
  SequenceTokens pair_tokens = is_pair ? *b : SequenceTokens{};
  const size_t added = options.add_special_tokens ? post_processor.added_tokens(is_pair) : 0;
  Encoding encoding;
  encoding.untruncated_length = a.size() + pair_tokens.size() + added;
  if (options.truncate) {
    // Rust subtracts the template's tokens from max_length first (it would underflow below them).
    const size_t budget = options.max_length > added ? options.max_length - added : 0;
    const auto [keep_a, keep_b] = truncated_lengths(
        a.size(), is_pair ? std::optional<size_t>(pair_tokens.size()) : std::nullopt, budget);
    if (options.truncate_left) {
      a.erase(a.begin(), a.end() - static_cast<std::ptrdiff_t>(keep_a));
      pair_tokens.erase(pair_tokens.begin(), pair_tokens.end() - static_cast<std::ptrdiff_t>(keep_b));
    } else {
      a.resize(keep_a);
      pair_tokens.resize(keep_b);
    }
  }
  if (after_truncation) {
    after_truncation(0, &a);
    if (is_pair) after_truncation(1, &pair_tokens);
  }
  const SequenceTokens* seq[2] = {&a, &pair_tokens};
  const size_t total = a.size() + pair_tokens.size() + added;
  encoding.ids.reserve(total);
  encoding.type_ids.reserve(total);
  encoding.tokens.reserve(total);
  encoding.offsets.reserve(total);
  encoding.special.reserve(total);
  encoding.sequence.reserve(total);
  for (const TemplatePiece& piece : is_pair ? post_processor.pair : post_processor.single) {
    if (piece.sequence >= 0) {
      if (piece.sequence > 1 || (piece.sequence == 1 && !is_pair)) continue;
      for (const SequenceToken& t : *seq[piece.sequence]) {
        encoding.ids.push_back(t.id);
        encoding.type_ids.push_back(piece.type_id);
        encoding.tokens.push_back(id_to_token(t.id));
        encoding.offsets.push_back(t.offset);
        encoding.special.push_back(t.special ? 1 : 0);
        encoding.sequence.push_back(static_cast<int8_t>(piece.sequence));
      }
    } else if (options.add_special_tokens) {
      for (size_t i = 0; i < piece.ids.size(); ++i) {
        encoding.ids.push_back(piece.ids[i]);
        encoding.type_ids.push_back(piece.type_id);
        encoding.tokens.push_back(i < piece.tokens.size() ? piece.tokens[i] : id_to_token(piece.ids[i]));
        encoding.offsets.push_back(Offset{});
        encoding.special.push_back(1);
        encoding.sequence.push_back(-1);
      }
    }
  }
  return encoding;
}

}  // namespace verdict::tokenizer
