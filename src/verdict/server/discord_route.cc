// POST /discord/interactions: verified by signature, answered within Discord's 3 seconds with
// a message (never an HTTP error once the signature holds, so users never see "interaction failed").
#include "verdict/server/discord.h"
#include "verdict/server/service.h"

namespace verdict::server {

namespace {
HttpResponse json_reply(const nlohmann::json& j) {
  HttpResponse r;
  r.body = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return r;
}
}  // namespace

void Service::post_discord(const HttpRequest& r, const std::shared_ptr<Reply>& reply) {
  const auto& cfg = config_.discord;
  const auto signature = r.header("x-signature-ed25519");
  const auto timestamp = r.header("x-signature-timestamp");
  if (!signature || !timestamp || !discord::verify_signature(cfg.public_key_hex, *signature, *timestamp, r.body)) {
    return reply->fail(ApiError::unauthorized("invalid request signature"));
  }
  if (!discord::timestamp_is_fresh(*timestamp, cfg.max_clock_skew)) {
    return reply->fail(ApiError::unauthorized("stale request timestamp (replayed?)"));
  }
  auto body = parse_json_body(r.body);
  if (auto* e = std::get_if<ApiError>(&body)) return reply->fail(*e);
  auto interaction = discord::parse_interaction(std::get<nlohmann::json>(body));
  switch (interaction.kind) {
    case discord::Interaction::Kind::kPing:
      metrics_.on_discord("ping");
      return reply->send(json_reply({{"type", 1}}));
    case discord::Interaction::Kind::kImmediate:
      metrics_.on_discord("other");
      return reply->send(json_reply(interaction.immediate));
    case discord::Interaction::Kind::kReview:
      break;
  }
  ClassifyRequest req;
  req.inputs.push_back({interaction.review.text, std::nullopt});
  auto review = std::make_shared<discord::ReviewRequest>(std::move(interaction.review));
  classify(
      std::move(req), reply,
      [this, review](const ClassifyRequest&, const auto& scores) {
        const auto& top = scores[0][0];
        const bool complaint = discord::is_complaint(top, config_.discord);
        metrics_.on_discord(complaint ? "complaint" : "review");
        if (complaint && webhooks_) {  // queued: the interaction reply never waits for them
          const auto& d = config_.discord;
          const std::string author = review->author_name.empty() ? review->author_id : review->author_name;
          if (!d.alert_webhook.empty()) ui_history_.record_alert("discord alert", review->text, top.label, top.score, author);
          if (!d.json_webhook.empty()) {
            ui_history_.record_alert("integration webhook", review->text, top.label, top.score, author);
          }
          if (!d.alert_webhook.empty()) {
            webhooks_->post("discord alert", d.alert_webhook, discord::alert_payload(*review, top).dump(
                                                                  -1, ' ', false, nlohmann::json::error_handler_t::replace));
          }
          if (!d.json_webhook.empty()) {
            webhooks_->post("integration webhook", d.json_webhook,
                            discord::integration_payload(*review, scores[0], d.json_webhook_slack)
                                .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
          }
        }
        return json_reply(discord::review_reply(*review, top, complaint, config_.discord));
      },
      [](const ApiError& e) {
        return json_reply(discord::ephemeral(e.status == 429 || e.status == 503
                                                 ? "Verdict is busy right now; please try again in a moment."
                                                 : "Verdict could not check this text: " + e.message));
      });
}

}  // namespace verdict::server
