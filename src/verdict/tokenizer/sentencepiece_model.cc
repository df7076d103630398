#include "verdict/tokenizer/sentencepiece_model.h"

#include <cstring>
#include <utility>

#include "verdict/common/file_util.h"
#include "verdict/tokenizer/spm_normalizer.h"
#include "verdict/tokenizer/unicode_util.h"
#include "verdict/tokenizer/unigram_tokenizer.h"

namespace verdict::tokenizer {
namespace {

// A bounded reader of the protobuf wire format over one message's bytes.
class WireReader {
 public:
  WireReader(std::string_view bytes, size_t base) : bytes_(bytes), base_(base) {}

  bool done() const { return pos_ >= bytes_.size(); }

  // Reads the next field's tag; the value is then read with one of the calls below.
  Status next_field(uint32_t* field, int* wire_type) {
    uint64_t tag = 0;
    if (auto s = varint(&tag); !s.ok()) return s;
    *field = static_cast<uint32_t>(tag >> 3);
    *wire_type = static_cast<int>(tag & 7);
    if (*field == 0 || tag >> 3 > 0x1FFFFFFF) return error("a field number of 0 or above 2^29");
    return {};
  }

  Status varint(uint64_t* out) {
    uint64_t value = 0;
    for (int shift = 0; shift < 70; shift += 7) {
      if (pos_ >= bytes_.size()) return error("a varint cut off by the end of the data");
      const auto byte = static_cast<unsigned char>(bytes_[pos_++]);
      if (shift == 63 && byte > 1) return error("a varint longer than 64 bits");
      value |= uint64_t{byte & 0x7Fu} << shift;
      if ((byte & 0x80) == 0) {
        *out = value;
        return {};
      }
    }
    return error("a varint longer than 10 bytes");
  }

  Status length_delimited(std::string_view* out, size_t* offset) {
    uint64_t length = 0;
    if (auto s = varint(&length); !s.ok()) return s;
    if (length > bytes_.size() - pos_) {
      return error("a field of " + std::to_string(length) + " bytes where " +
                   std::to_string(bytes_.size() - pos_) + " remain");
    }
    *offset = base_ + pos_;
    *out = bytes_.substr(pos_, static_cast<size_t>(length));
    pos_ += static_cast<size_t>(length);
    return {};
  }

  Status fixed32(uint32_t* out) {
    if (bytes_.size() - pos_ < 4) return error("a 32-bit field cut off by the end of the data");
    const auto* p = reinterpret_cast<const unsigned char*>(bytes_.data() + pos_);
    *out = uint32_t{p[0]} | (uint32_t{p[1]} << 8) | (uint32_t{p[2]} << 16) | (uint32_t{p[3]} << 24);
    pos_ += 4;
    return {};
  }

  Status skip(int wire_type) {
    uint64_t ignored = 0;
    std::string_view ignored_bytes;
    size_t ignored_offset = 0;
    uint32_t ignored32 = 0;
    switch (wire_type) {
      case 0:
        return varint(&ignored);
      case 1:
        if (bytes_.size() - pos_ < 8) return error("a 64-bit field cut off by the end of the data");
        pos_ += 8;
        return {};
      case 2:
        return length_delimited(&ignored_bytes, &ignored_offset);
      case 5:
        return fixed32(&ignored32);
      default:
        return error("wire type " + std::to_string(wire_type) + ", which no SentencePiece model uses");
    }
  }

  Error error(const std::string& what) const {
    return make_error(ErrorCode::kCorruptModel,
                      "malformed protobuf at byte " + std::to_string(base_ + pos_) + ": " + what);
  }

 private:
  std::string_view bytes_;
  size_t base_;  // offset of bytes_ in the file, for messages
  size_t pos_ = 0;
};

// Reads a field of the expected wire type, or fails naming it.
Status expect(WireReader& r, int wire_type, int expected, const char* name) {
  if (wire_type != expected) {
    return r.error(std::string("field ") + name + " has wire type " + std::to_string(wire_type) +
                   ", expected " + std::to_string(expected));
  }
  return {};
}

Status parse_piece(std::string_view bytes, size_t base, SentencePieceModel::Piece* piece) {
  WireReader r(bytes, base);
  while (!r.done()) {
    uint32_t field = 0;
    int wire = 0;
    if (auto s = r.next_field(&field, &wire); !s.ok()) return s;
    if (field == 1) {  // piece
      if (auto s = expect(r, wire, 2, "SentencePiece.piece"); !s.ok()) return s;
      std::string_view text;
      size_t offset = 0;
      if (auto s = r.length_delimited(&text, &offset); !s.ok()) return s;
      if (const size_t bad = find_invalid_utf8(text); bad != kValidUtf8) {
        return make_error(ErrorCode::kCorruptModel,
                          "a piece is not valid UTF-8 (byte " + std::to_string(offset + bad) + ")");
      }
      piece->piece.assign(text);
    } else if (field == 2) {  // score
      if (auto s = expect(r, wire, 5, "SentencePiece.score"); !s.ok()) return s;
      uint32_t bits = 0;
      if (auto s = r.fixed32(&bits); !s.ok()) return s;
      std::memcpy(&piece->score, &bits, sizeof bits);
    } else if (field == 3) {  // type
      if (auto s = expect(r, wire, 0, "SentencePiece.type"); !s.ok()) return s;
      uint64_t type = 0;
      if (auto s = r.varint(&type); !s.ok()) return s;
      piece->type = static_cast<int>(type & 0xFF);
    } else if (auto s = r.skip(wire); !s.ok()) {
      return s;
    }
  }
  return {};
}

Status parse_trainer_spec(std::string_view bytes, size_t base, SentencePieceModel* model) {
  WireReader r(bytes, base);
  while (!r.done()) {
    uint32_t field = 0;
    int wire = 0;
    if (auto s = r.next_field(&field, &wire); !s.ok()) return s;
    if ((field == 3 || field == 35) && wire == 0) {  // model_type, byte_fallback
      uint64_t value = 0;
      if (auto s = r.varint(&value); !s.ok()) return s;
      if (field == 3) model->model_type = static_cast<int>(value & 0xFF);
      if (field == 35) model->byte_fallback = value != 0;
    } else if (auto s = r.skip(wire); !s.ok()) {
      return s;
    }
  }
  return {};
}

Status parse_normalizer_spec(std::string_view bytes, size_t base, SentencePieceModel* model) {
  WireReader r(bytes, base);
  while (!r.done()) {
    uint32_t field = 0;
    int wire = 0;
    if (auto s = r.next_field(&field, &wire); !s.ok()) return s;
    if (field == 2) {  // precompiled_charsmap
      if (auto s = expect(r, wire, 2, "NormalizerSpec.precompiled_charsmap"); !s.ok()) return s;
      std::string_view blob;
      size_t offset = 0;
      if (auto s = r.length_delimited(&blob, &offset); !s.ok()) return s;
      model->precompiled_charsmap.assign(blob);
    } else if (auto s = r.skip(wire); !s.ok()) {
      return s;
    }
  }
  return {};
}

}  // namespace

Result<SentencePieceModel> parse_sentencepiece_model(std::string_view bytes) {
  SentencePieceModel model;
  WireReader r(bytes, 0);
  while (!r.done()) {
    uint32_t field = 0;
    int wire = 0;
    if (auto s = r.next_field(&field, &wire); !s.ok()) return s.error();
    if (field == 1 || field == 2 || field == 3) {  // pieces, trainer_spec, normalizer_spec
      if (auto s = expect(r, wire, 2,
                          field == 1   ? "pieces"
                          : field == 2 ? "trainer_spec"
                                       : "normalizer_spec");
          !s.ok()) {
        return s.error();
      }
      std::string_view message;
      size_t offset = 0;
      if (auto s = r.length_delimited(&message, &offset); !s.ok()) return s.error();
      Status s;
      if (field == 1) {
        SentencePieceModel::Piece piece;
        s = parse_piece(message, offset, &piece);
        model.pieces.push_back(std::move(piece));
      } else if (field == 2) {
        s = parse_trainer_spec(message, offset, &model);
      } else {
        s = parse_normalizer_spec(message, offset, &model);
      }
      if (!s.ok()) return s.error();
    } else if (auto s = r.skip(wire); !s.ok()) {
      return s.error();
    }
  }
  return model;
}

Result<std::unique_ptr<Tokenizer>> make_xlm_roberta_tokenizer(const SentencePieceModel& model,
                                                              const FolderConfig& config,
                                                              const std::string& source) {
  if (model.model_type != 1) {
    return make_error(ErrorCode::kUnsupported,
                      source + ": the SentencePiece model type is " + std::to_string(model.model_type) +
                          " (1 Unigram, 2 BPE, 3 word, 4 char); Verdict supports Unigram models only");
  }
  if (model.pieces.size() < 3) {
    return make_error(ErrorCode::kCorruptModel, source + ": the SentencePiece model has " +
                                                    std::to_string(model.pieces.size()) +
                                                    " pieces; a model has at least <unk>, <s>, </s>");
  }
  UnigramTokenizerSpec spec;
  // The converter's vocabulary: fairseq's four specials, every piece after the model's first
  // three (unk, bos, eos) one id later, <mask> last.
  spec.pieces = {{"<s>", 0.0}, {"<pad>", 0.0}, {"</s>", 0.0}, {"<unk>", 0.0}};
  spec.pieces.reserve(model.pieces.size() + 2);
  for (size_t i = 3; i < model.pieces.size(); ++i) {
    spec.pieces.push_back({model.pieces[i].piece, static_cast<double>(model.pieces[i].score)});
  }
  spec.pieces.push_back({"<mask>", 0.0});
  spec.unk_id = 3;
  spec.byte_fallback = false;  // XLMRobertaConverter does not ask for it
  if (!model.precompiled_charsmap.empty()) {
    auto charsmap = PrecompiledCharsmap::parse(model.precompiled_charsmap);
    if (!charsmap.ok()) return make_error(ErrorCode::kCorruptModel, source + ": " + charsmap.error().message);
    spec.normalizer.add(std::move(charsmap).value());
  }
  spec.normalizer.add(ReplaceRule{" ", 2, SIZE_MAX, " "});
  spec.metaspace = MetaspaceOptions{};
  const auto mask_id = static_cast<int32_t>(spec.pieces.size() - 1);
  const TemplatePiece bos{-1, {0}, {"<s>"}, 0};
  const TemplatePiece eos{-1, {2}, {"</s>"}, 0};
  spec.post_processor.single = {bos, TemplatePiece{0, {}, {}, 0}, eos};
  spec.post_processor.pair = {bos, TemplatePiece{0, {}, {}, 0}, eos, eos, TemplatePiece{1, {}, {}, 0}, eos};
  auto special = [](std::string content, int32_t id, bool lstrip) {
    AddedToken token;
    token.content = std::move(content);
    token.id = id;
    token.lstrip = lstrip;
    return token;
  };
  spec.added_tokens = {special("<s>", 0, false), special("<pad>", 1, false), special("</s>", 2, false),
                       special("<unk>", 3, false), special("<mask>", mask_id, true)};
  // Further tokens the folder's configs name get the next ids (a piece keeps its own).
  auto next_id = static_cast<int32_t>(spec.pieces.size());
  auto add = [&](AddedToken token) {
    for (const AddedToken& t : spec.added_tokens) {
      if (t.content == token.content) return;
    }
    for (size_t i = spec.pieces.size(); i-- > 0;) {
      if (spec.pieces[i].piece == token.content) {
        token.id = static_cast<int32_t>(i);
        break;
      }
    }
    if (token.id < 0) token.id = next_id;
    next_id = std::max(next_id, token.id + 1);
    spec.added_tokens.push_back(std::move(token));
  };
  for (const auto& token : config.special) {
    if (token) add(*token);
  }
  for (const AddedToken& token : config.extra_tokens) add(token);
  spec.model_max_length = config.model_max_length;
  spec.pad_token = config.special[2] ? config.special[2]->content : "<pad>";
  auto tokenizer = UnigramTokenizer::create(std::move(spec));
  if (!tokenizer.ok()) return make_error(tokenizer.error().code, source + ": " + tokenizer.error().message);
  return std::unique_ptr<Tokenizer>(std::move(tokenizer).value());
}

Result<std::unique_ptr<Tokenizer>> load_sentencepiece_model(const std::filesystem::path& path,
                                                            const FolderConfig& config) {
  auto bytes = read_file(path);
  if (!bytes.ok()) return bytes.error();
  auto model = parse_sentencepiece_model(*bytes);
  if (!model.ok()) return make_error(model.error().code, path.string() + ": " + model.error().message);
  return make_xlm_roberta_tokenizer(*model, config, path.string());
}

}  // namespace verdict::tokenizer
