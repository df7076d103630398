#include "verdict/tokenizer/unigram.h"

#include <algorithm>
#include <cstdio>
#include <limits>

#include "verdict/tokenizer/unicode_util.h"

namespace verdict::tokenizer {
namespace {

// sentencepiece's kUnkPenalty: an unknown char scores this much below the worst piece.
constexpr double kUnkPenalty = 10.0;

size_t utf8_length(unsigned char lead) {
  if (lead < 0x80) return 1;
  if (lead < 0xE0) return 2;
  if (lead < 0xF0) return 3;
  return 4;
}

}  // namespace

Result<UnigramModel> UnigramModel::create(std::vector<UnigramPiece> pieces, std::optional<int32_t> unk_id,
                                          bool byte_fallback) {
  if (pieces.empty()) return make_error(ErrorCode::kCorruptModel, "the Unigram vocabulary is empty");
  if (pieces.size() >= static_cast<size_t>(kTokenIdLimit)) {
    return make_error(
        ErrorCode::kCorruptModel,
        "the Unigram vocabulary has " + std::to_string(pieces.size()) + " pieces, more than 2^30");
  }
  if (unk_id && (*unk_id < 0 || static_cast<size_t>(*unk_id) >= pieces.size())) {
    return make_error(ErrorCode::kCorruptModel, "the Unigram unk_id " + std::to_string(*unk_id) +
                                                    " is not in the vocabulary of " +
                                                    std::to_string(pieces.size()) + " pieces");
  }
  UnigramModel model;
  model.unk_id_ = unk_id;
  model.byte_fallback_ = byte_fallback;
  model.min_score_ = std::numeric_limits<double>::infinity();
  for (size_t i = 0; i < pieces.size(); ++i) {
    model.ids_.add(pieces[i].piece, static_cast<int32_t>(i));
    model.min_score_ = std::min(model.min_score_, pieces[i].score);
  }
  model.pieces_ = std::move(pieces);
  model.build_trie();
  return model;
}

void UnigramModel::build_trie() {
  // Sorted pieces: every node's pieces form a contiguous range, grouped by their next byte.
  std::vector<int32_t> order;
  order.reserve(pieces_.size());
  for (size_t i = 0; i < pieces_.size(); ++i) {
    if (!pieces_[i].piece.empty()) order.push_back(static_cast<int32_t>(i));
  }
  std::sort(order.begin(), order.end(), [&](int32_t a, int32_t b) {
    return pieces_[static_cast<size_t>(a)].piece < pieces_[static_cast<size_t>(b)].piece;
  });
  struct Task {
    size_t lo, hi, depth;
    uint32_t node;
  };
  trie_.assign(1, TrieNode{});
  std::vector<Task> stack{{0, order.size(), 0, 0}};
  auto byte_at = [&](size_t k, size_t depth) {
    return static_cast<unsigned char>(pieces_[static_cast<size_t>(order[k])].piece[depth]);
  };
  while (!stack.empty()) {
    Task task = stack.back();
    stack.pop_back();
    size_t lo = task.lo;
    // Pieces that end here sort first.
    while (lo < task.hi && pieces_[static_cast<size_t>(order[lo])].piece.size() == task.depth) {
      trie_[task.node].id = *ids_.find(pieces_[static_cast<size_t>(order[lo])].piece);
      ++lo;
    }
    size_t groups = 0;
    for (size_t k = lo; k < task.hi; ++k)
      groups += k == lo || byte_at(k, task.depth) != byte_at(k - 1, task.depth);
    if (groups == 0) continue;
    const auto first = static_cast<uint32_t>(trie_.size());
    trie_[task.node].first_child = first;
    trie_[task.node].num_children = static_cast<uint16_t>(groups);
    trie_.resize(trie_.size() + groups);
    uint32_t child_node = first;
    for (size_t k = lo; k < task.hi;) {
      size_t end = k + 1;
      while (end < task.hi && byte_at(end, task.depth) == byte_at(k, task.depth)) ++end;
      trie_[child_node].label = byte_at(k, task.depth);
      stack.push_back({k, end, task.depth + 1, child_node});
      ++child_node;
      k = end;
    }
  }
}

int32_t UnigramModel::child(int32_t node, unsigned char byte) const {
  const TrieNode& n = trie_[static_cast<size_t>(node)];
  const auto begin = trie_.begin() + n.first_child;
  const auto end = begin + n.num_children;
  const auto it =
      std::lower_bound(begin, end, byte, [](const TrieNode& t, unsigned char b) { return t.label < b; });
  return it != end && it->label == byte ? static_cast<int32_t>(it - trie_.begin()) : -1;
}

Status UnigramModel::tokenize(std::string_view word, std::vector<SubToken>* out) const {
  struct BestPathNode {
    int32_t id = 0;
    double score = 0;
    int64_t starts_at = -1;  // -1: not reached yet
  };
  const size_t size = word.size();
  const double unk_score = min_score_ - kUnkPenalty;
  std::vector<BestPathNode> best(size + 1);
  size_t starts_at = 0;
  while (starts_at < size) {
    const double score_here = best[starts_at].score;
    const size_t mblen = std::min(utf8_length(static_cast<unsigned char>(word[starts_at])), size - starts_at);
    bool has_single_node = false;
    int32_t node = 0;
    for (size_t pos = starts_at; pos < size; ++pos) {
      node = child(node, static_cast<unsigned char>(word[pos]));
      if (node < 0) break;
      const int32_t id = trie_[static_cast<size_t>(node)].id;
      if (id < 0) continue;
      const size_t key_pos = pos + 1;
      const double candidate = pieces_[static_cast<size_t>(id)].score + score_here;
      BestPathNode& target = best[key_pos];
      // Strictly better only: among equal scores the first candidate found stays.
      if (target.starts_at < 0 || candidate > target.score) {
        target.score = candidate;
        target.starts_at = static_cast<int64_t>(starts_at);
        target.id = id;
      }
      if (key_pos - starts_at == mblen) has_single_node = true;
    }
    if (!has_single_node) {
      if (!unk_id_) {
        return make_error(
            ErrorCode::kInvalidArgument,
            "the Unigram model has no unk_id and no piece for a char of \"" + std::string(word) + "\"");
      }
      BestPathNode& target = best[starts_at + mblen];
      const double candidate = unk_score + score_here;
      if (target.starts_at < 0 || candidate > target.score) {
        target.score = candidate;
        target.starts_at = static_cast<int64_t>(starts_at);
        target.id = *unk_id_;
      }
    }
    starts_at += mblen;
  }
  // Backtrack; runs of unknown nodes become one token, whose id is looked up by its string.
  const size_t first = out->size();
  size_t ends_at = size;
  size_t unk_end = 0;
  bool in_unk = false;
  std::vector<SubToken> bytes;
  auto emit = [&](size_t begin, size_t end) {
    const auto b = static_cast<uint32_t>(begin);
    const auto e = static_cast<uint32_t>(end);
    const std::string_view token = word.substr(begin, end - begin);
    if (const auto id = ids_.find(token)) {
      out->push_back({*id, b, e});
      return;
    }
    if (byte_fallback_) {
      // Pushed in reverse like everything here; reversed back at the end.
      bytes.clear();
      bool all = true;
      char name[8];
      for (const char c : token) {
        std::snprintf(name, sizeof name, "<0x%02X>", static_cast<unsigned>(static_cast<unsigned char>(c)));
        const auto id = ids_.find(name);
        if (!id) {
          all = false;
          break;
        }
        bytes.push_back({*id, b, e});
      }
      if (all) {
        out->insert(out->end(), bytes.rbegin(), bytes.rend());
        return;
      }
    }
    out->push_back({unk_id_.value_or(0), b, e});
  };
  while (ends_at > 0) {
    const BestPathNode& node = best[ends_at];
    const auto node_start = static_cast<size_t>(node.starts_at);
    if (unk_id_ && node.id == *unk_id_) {
      if (!in_unk) {
        unk_end = ends_at;
        in_unk = true;
      }
    } else {
      if (in_unk) {
        emit(ends_at, unk_end);
        in_unk = false;
      }
      emit(node_start, ends_at);
    }
    ends_at = node_start;
  }
  if (in_unk) emit(0, unk_end);
  std::reverse(out->begin() + static_cast<std::ptrdiff_t>(first), out->end());
  return {};
}

}  // namespace verdict::tokenizer
