// One attention head of a short sequence, on the calling thread, vectorised with Highway.
#pragma once

#include <cstddef>

namespace verdict::kernels {

// Where one head's rows are: q, k and v point at the head's first column of token 0; token j's
// vectors are `stride` floats after token j-1's (the fused q|k|v rows of a layer).
struct HeadRows {
  const float* q;
  const float* k;
  const float* v;
  size_t stride;
};

// ctx[i, :head_dim] (rows ctx_stride apart) = softmax(q_i · kᵀ · scale) · v, for seq_len tokens.
// scratch: attention_head_scratch() floats. Scores live in L1/L2 for the whole head: meant for
// sequences of up to a few hundred tokens.
void attention_head(const HeadRows& head, size_t seq_len, size_t head_dim, float scale, float* ctx,
                    size_t ctx_stride, float* scratch);
size_t attention_head_scratch(size_t seq_len, size_t head_dim);

// ctx[:head_dim] = softmax(q_0 · kᵀ · scale) · v for the first query row only (head.q), over
// seq_len keys and values. scores: seq_len floats of scratch.
void attention_query_row(const HeadRows& head, size_t seq_len, size_t head_dim, float scale, float* ctx,
                         float* scores);

}  // namespace verdict::kernels
