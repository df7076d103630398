// Discord's HTTP interactions: signature checks and the replies Verdict gives. Pure functions,
// so they are tested without a network; the route in discord_route.cc wires them to the model.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "verdict/model/postprocess.h"
#include "verdict/server/server_config.h"

namespace verdict::server::discord {

// Ed25519 over timestamp + body with the application's public key (hex). False on any
// malformed input.
bool verify_signature(const std::string& public_key_hex, const std::string& signature_hex,
                      const std::string& timestamp, const std::string& body);

// The signed timestamp (unix seconds) lies within `skew` of now.
bool timestamp_is_fresh(const std::string& timestamp, std::chrono::seconds skew,
                        std::chrono::system_clock::time_point now = std::chrono::system_clock::now());

// What an interaction asks Verdict to classify, and for whom.
struct ReviewRequest {
  std::string text;
  std::string author_id;    // the customer who wrote the review (may be empty)
  std::string author_name;
  std::string guild_id, channel_id, message_id;  // where it was posted (message_id: message command)
};

// kPing, a review to classify, or a reply to send at once (unknown command, empty text).
struct Interaction {
  enum class Kind { kPing, kReview, kImmediate } kind = Kind::kImmediate;
  ReviewRequest review;
  nlohmann::json immediate;  // the reply for kImmediate
};

// Parses an interaction body (already verified). Never throws.
Interaction parse_interaction(const nlohmann::json& body);

// An ephemeral message (only the invoking user sees it).
nlohmann::json ephemeral(const std::string& content);

// Type 4 reply with label, score and a sentence; negative reviews above the threshold get the
// apology (with {user} replaced by a mention of the author).
nlohmann::json review_reply(const ReviewRequest& review, const model::LabelScore& top, bool complaint,
                            const DiscordConfig& config);

// Whether the top label is a complaint: the configured negative label (or one starting with
// "neg", any case) with a score at or above the threshold.
bool is_complaint(const model::LabelScore& top, const DiscordConfig& config);

// The two application commands Verdict answers: /review text:<review> and the message
// command "Check sentiment" (body of Discord's bulk-overwrite PUT .../commands).
nlohmann::json command_definitions();

// The support-channel alert for a complaint (Discord webhook execute body).
nlohmann::json alert_payload(const ReviewRequest& review, const model::LabelScore& top);
// The generic webhook body: /predict's answer (every label) plus where the review came from;
// `slack`: {"text": "..."} instead.
nlohmann::json integration_payload(const ReviewRequest& review, const std::vector<model::LabelScore>& scores,
                                   bool slack);

}  // namespace verdict::server::discord
