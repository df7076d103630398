// Multi-head self-attention of one unpadded sequence: no padding is ever materialised, so no
// mask is needed and no FLOP is spent on pad tokens.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

#include "verdict/kernels/linear.h"

namespace verdict::kernels {

// Thread-compatible: forward() may not run concurrently on one instance.
class Attention {
 public:
  // products: kF32 (exact), or kBF16 where the CPU has bf16 instructions (see
  // precision_supported): oneDNN's products take q, k, v and the probabilities rounded to bf16
  // (sums, scores and softmax stay f32), twice as fast. Lone sequences of up to 64 tokens
  // (the Highway kernel) and attend_first_tokens() stay f32 either way.
  explicit Attention(size_t num_heads, size_t head_dim, Precision products = Precision::kF32);
  ~Attention();
  Attention(Attention&&) noexcept;
  Attention& operator=(Attention&&) noexcept;

  // qkv: [seq_len, 3 * hidden] rows of (q | k | v), hidden = num_heads * head_dim.
  // ctx: [seq_len, hidden] output. Short sequences: all heads in one pair of products; long
  // ones: one task per (head, block of query rows), spread over the pool (run in turn inside a
  // parallel region).
  void forward(const float* qkv, size_t seq_len, float* ctx) const;
  // forward() for every sequence of a packed batch: sequence b is rows [cu[b], cu[b + 1]) of
  // qkv and ctx. Batches of several sequences spread them over the intra-op pool (one fork for
  // all, longest first) rather than forking inside each sequence's small products.
  void forward_packed(const float* qkv, const uint32_t* cu_seq_lengths, size_t batch, float* ctx) const;

  // Attention of one query row per sequence (a classifier's last layer needs just the [CLS]
  // row): q: [batch, hidden], row b sequence b's query; its keys and values are the k and v of
  // rows [cu[b], cu[b + 1]) of the packed qkv; ctx: [batch, hidden]. f32; the (sequence, head)
  // pairs are spread over the pool.
  void attend_first_tokens(const float* q, const float* qkv, const uint32_t* cu_seq_lengths, size_t batch,
                           float* ctx) const;

 private:
  // qkv as the products take it: the caller's f32 rows, or this thread's bf16 copy of them.
  const void* products_input(const float* qkv, size_t seq_len) const;
  void attend_all_heads(const void* qkv, size_t seq_len, float* ctx) const;
  // One head of a short sequence, on this thread.
  void attend_head(const float* qkv, size_t seq_len, size_t head, float* ctx) const;
  // Rows [row0, row0 + rows) of one head's attention.
  void attend_block(const void* qkv, size_t seq_len, size_t head, size_t row0, size_t rows, float* ctx) const;
  struct Impl;
  std::unique_ptr<Impl> impl_;
  size_t heads_ = 0, head_dim_ = 0;
};

}  // namespace verdict::kernels
