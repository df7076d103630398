#include "verdict/server/discord.h"

#include <sodium.h>

#include <cmath>
#include <cstdio>

namespace verdict::server::discord {
namespace {

bool from_hex(const std::string& hex, unsigned char* out, size_t size) {
  size_t written = 0;
  return hex.size() == 2 * size &&
         sodium_hex2bin(out, size, hex.data(), hex.size(), nullptr, &written, nullptr) == 0 && written == size;
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// Discord messages hold at most 2000 characters; quote reviews shorter than that.
std::string excerpt(const std::string& text, size_t max_bytes) {
  if (text.size() <= max_bytes) return text;
  size_t cut = max_bytes;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;  // UTF-8 boundary
  return text.substr(0, cut) + "…";
}

}  // namespace

bool verify_signature(const std::string& public_key_hex, const std::string& signature_hex,
                      const std::string& timestamp, const std::string& body) {
  if (sodium_init() < 0) return false;
  unsigned char pk[crypto_sign_PUBLICKEYBYTES];
  unsigned char sig[crypto_sign_BYTES];
  if (!from_hex(public_key_hex, pk, sizeof pk) || !from_hex(signature_hex, sig, sizeof sig)) return false;
  const std::string message = timestamp + body;
  return crypto_sign_verify_detached(sig, reinterpret_cast<const unsigned char*>(message.data()), message.size(),
                                     pk) == 0;
}

bool timestamp_is_fresh(const std::string& timestamp, std::chrono::seconds skew,
                        std::chrono::system_clock::time_point now) {
  if (timestamp.empty() || timestamp.size() > 18) return false;
  long long ts = 0;
  for (char c : timestamp) {
    if (c < '0' || c > '9') return false;
    ts = ts * 10 + (c - '0');
  }
  const long long now_s = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  return std::llabs(now_s - ts) <= skew.count();
}

nlohmann::json ephemeral(const std::string& content) {
  return {{"type", 4}, {"data", {{"content", content}, {"flags", 64}}}};
}

namespace {

// Field readers that never throw: a field of the wrong type reads as absent (nlohmann's
// value() throws type_error for it, and the body is the sender's).
std::string str_field(const nlohmann::json& obj, const char* key) {
  if (!obj.is_object()) return "";
  const auto it = obj.find(key);
  return it != obj.end() && it->is_string() ? it->get<std::string>() : "";
}
int64_t int_field(const nlohmann::json& obj, const char* key, int64_t absent) {
  if (!obj.is_object()) return absent;
  const auto it = obj.find(key);
  return it != obj.end() && it->is_number_integer() ? it->get<int64_t>() : absent;
}
const nlohmann::json& obj_field(const nlohmann::json& obj, const char* key) {
  static const nlohmann::json empty = nlohmann::json::object();
  if (!obj.is_object()) return empty;
  const auto it = obj.find(key);
  return it != obj.end() && it->is_object() ? *it : empty;
}

}  // namespace

Interaction parse_interaction(const nlohmann::json& body) {
  Interaction out;
  if (!body.is_object() || !body.contains("type") || !body["type"].is_number_integer()) {
    out.immediate = ephemeral("Verdict could not read this interaction.");
    return out;
  }
  const int64_t type = body["type"].get<int64_t>();
  if (type == 1) {
    out.kind = Interaction::Kind::kPing;
    return out;
  }
  const nlohmann::json& data = obj_field(body, "data");
  if (type != 2 || data.empty()) {
    out.immediate = ephemeral("Verdict only answers its commands: /review and \"Check sentiment\".");
    return out;
  }
  const int64_t command_type = int_field(data, "type", 1);
  const std::string name = str_field(data, "name");
  if (command_type == 3) {  // message context menu: classify the target message
    const std::string target = str_field(data, "target_id");
    const nlohmann::json& message = obj_field(obj_field(obj_field(data, "resolved"), "messages"), target.c_str());
    if (message.empty()) {
      out.immediate = ephemeral("Verdict could not find the message to check.");
      return out;
    }
    out.review.text = str_field(message, "content");
    out.review.author_id = str_field(obj_field(message, "author"), "id");
    out.review.author_name = str_field(obj_field(message, "author"), "username");
  } else if (command_type == 1 && name == "review") {
    const auto options = data.find("options");
    if (options != data.end() && options->is_array()) {
      for (const auto& option : *options) {
        if (str_field(option, "name") == "text" && option.contains("value") && option["value"].is_string()) {
          out.review.text = option["value"].get<std::string>();
        }
      }
    }
    const nlohmann::json& member = obj_field(body, "member");
    const nlohmann::json& user = member.empty() ? obj_field(body, "user") : obj_field(member, "user");
    out.review.author_id = str_field(user, "id");
    out.review.author_name = str_field(user, "username");
  } else {
    out.immediate = ephemeral("Unknown command '" + excerpt(name, 100) +
                              "': Verdict answers /review and \"Check sentiment\".");
    return out;
  }
  out.review.guild_id = str_field(body, "guild_id");
  out.review.channel_id = str_field(body, "channel_id");
  if (command_type == 3) out.review.message_id = str_field(data, "target_id");
  if (out.review.text.find_first_not_of(" \t\r\n") == std::string::npos) {
    out.immediate = ephemeral("There is no text to check.");
    return out;
  }
  out.kind = Interaction::Kind::kReview;
  return out;
}

bool is_complaint(const model::LabelScore& top, const DiscordConfig& config) {
  const bool negative = config.negative_label.empty() ? lower(top.label).rfind("neg", 0) == 0
                                                      : top.label == config.negative_label;
  return negative && top.score >= config.negative_threshold;
}

nlohmann::json review_reply(const ReviewRequest& review, const model::LabelScore& top, bool complaint,
                            const DiscordConfig& config) {
  char score[16];
  std::snprintf(score, sizeof score, "%.2f", static_cast<double>(top.score));
  const std::string label = lower(top.label);
  std::string sentence = complaint ? "This review reads as a complaint."
                         : label.rfind("pos", 0) == 0 ? "This review reads as happy."
                         : label.rfind("neg", 0) == 0 ? "This review leans negative, below the alert threshold."
                                                       : "This review reads as " + top.label + ".";
  std::string content = "**" + top.label + "** (score " + score + ") — " + sentence;
  if (complaint) {
    std::string apology = config.apology;
    const std::string who = review.author_id.empty() ? (review.author_name.empty() ? "there" : review.author_name)
                                                     : "<@" + review.author_id + ">";
    for (size_t p; (p = apology.find("{user}")) != std::string::npos;) apology.replace(p, 6, who);
    content += "\n" + apology;
  }
  content += "\n> " + excerpt(review.text, 1500);
  // Mentions in quoted review text must not ping anyone; only the apology's author mention may.
  nlohmann::json allowed = {{"parse", nlohmann::json::array()}};
  if (complaint && !review.author_id.empty()) allowed["users"] = {review.author_id};
  return {{"type", 4}, {"data", {{"content", content}, {"allowed_mentions", allowed}}}};
}

namespace {
std::string who(const ReviewRequest& r) {
  if (!r.author_id.empty()) return "<@" + r.author_id + ">" + (r.author_name.empty() ? "" : " (" + r.author_name + ")");
  return r.author_name.empty() ? "unknown" : r.author_name;
}
std::string score_text(float score) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%.2f", static_cast<double>(score));
  return buf;
}
}  // namespace

nlohmann::json command_definitions() {
  return nlohmann::json::array(
      {{{"name", "review"},
        {"type", 1},
        {"description", "Check the sentiment of a customer review"},
        {"options", {{{"type", 3}, {"name", "text"}, {"description", "The review text"}, {"required", true}}}}},
       {{"name", "Check sentiment"}, {"type", 3}}});
}

nlohmann::json alert_payload(const ReviewRequest& review, const model::LabelScore& top) {
  std::string content = "Negative review from " + who(review) + " (" + top.label + ", score " + score_text(top.score) +
                        "): please contact them.";
  if (!review.guild_id.empty() && !review.channel_id.empty()) {
    content += "\nhttps://discord.com/channels/" + review.guild_id + "/" + review.channel_id +
               (review.message_id.empty() ? "" : "/" + review.message_id);
  }
  nlohmann::json embed = {{"title", "Negative review"},
                          {"description", excerpt(review.text, 3500)},
                          {"color", 0xE74C3C},
                          {"fields",
                           {{{"name", "Label"}, {"value", top.label}, {"inline", true}},
                            {{"name", "Score"}, {"value", score_text(top.score)}, {"inline", true}},
                            {{"name", "Author"}, {"value", who(review)}, {"inline", true}}}}};
  return {{"content", excerpt(content, 1900)},
          {"embeds", nlohmann::json::array({embed})},
          {"allowed_mentions", {{"parse", nlohmann::json::array()}}}};
}

nlohmann::json integration_payload(const ReviewRequest& review, const std::vector<model::LabelScore>& scores,
                                   bool slack) {
  const auto& top = scores.at(0);
  if (slack) {
    return {{"text", "Negative review from " + (review.author_name.empty() ? "a customer" : review.author_name) +
                         " (" + top.label + ", score " + score_text(top.score) + "): " + excerpt(review.text, 2000)}};
  }
  nlohmann::json predictions = nlohmann::json::array();
  for (const auto& s : scores) predictions.push_back({{"label", s.label}, {"score", s.score}});
  return {{"event", "negative_review"},
          {"source", "discord"},
          {"label", top.label},
          {"score", top.score},
          {"predictions", predictions},
          {"text", review.text},
          {"author", {{"id", review.author_id}, {"username", review.author_name}}},
          {"guild_id", review.guild_id},
          {"channel_id", review.channel_id},
          {"message_id", review.message_id}};
}

}  // namespace verdict::server::discord
