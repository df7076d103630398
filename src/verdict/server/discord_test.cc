#include "verdict/server/discord.h"

#include <gtest/gtest.h>
#include <sodium.h>

namespace verdict::server::discord {
namespace {

struct KeyPair {
  unsigned char pk[crypto_sign_PUBLICKEYBYTES];
  unsigned char sk[crypto_sign_SECRETKEYBYTES];
  std::string pk_hex() const {
    char hex[2 * sizeof pk + 1];
    sodium_bin2hex(hex, sizeof hex, pk, sizeof pk);
    return hex;
  }
  std::string sign(const std::string& message) const {
    unsigned char sig[crypto_sign_BYTES];
    crypto_sign_detached(sig, nullptr, reinterpret_cast<const unsigned char*>(message.data()), message.size(), sk);
    char hex[2 * sizeof sig + 1];
    sodium_bin2hex(hex, sizeof hex, sig, sizeof sig);
    return hex;
  }
};

KeyPair make_keys() {
  EXPECT_GE(sodium_init(), 0);
  KeyPair k;
  crypto_sign_keypair(k.pk, k.sk);
  return k;
}

TEST(DiscordSignatureTest, AcceptsOnlyTheExactSignedTimestampAndBody) {
  const auto keys = make_keys();
  const std::string ts = "1700000000", body = R"({"type":1})";
  const auto sig = keys.sign(ts + body);
  EXPECT_TRUE(verify_signature(keys.pk_hex(), sig, ts, body));
  EXPECT_FALSE(verify_signature(keys.pk_hex(), sig, "1700000001", body));
  EXPECT_FALSE(verify_signature(keys.pk_hex(), sig, ts, body + " "));
  EXPECT_FALSE(verify_signature(make_keys().pk_hex(), sig, ts, body));
  EXPECT_FALSE(verify_signature(keys.pk_hex(), "zz" + sig.substr(2), ts, body));
  EXPECT_FALSE(verify_signature(keys.pk_hex(), sig.substr(2), ts, body));
  EXPECT_FALSE(verify_signature("", sig, ts, body));
}

TEST(DiscordSignatureTest, TimestampsOutsideTheWindowAreReplays) {
  const auto now = std::chrono::system_clock::time_point(std::chrono::seconds(1700000000));
  EXPECT_TRUE(timestamp_is_fresh("1700000000", std::chrono::seconds(300), now));
  EXPECT_TRUE(timestamp_is_fresh("1699999750", std::chrono::seconds(300), now));
  EXPECT_FALSE(timestamp_is_fresh("1699999000", std::chrono::seconds(300), now));
  EXPECT_FALSE(timestamp_is_fresh("1700009000", std::chrono::seconds(300), now));
  for (const char* bad : {"", "abc", "-5", "17000000000000000000000"}) {
    EXPECT_FALSE(timestamp_is_fresh(bad, std::chrono::seconds(300), now)) << bad;
  }
}

TEST(DiscordInteractionTest, ReadsPingSlashCommandAndMessageCommand) {
  EXPECT_EQ(parse_interaction({{"type", 1}}).kind, Interaction::Kind::kPing);
  auto slash = parse_interaction(nlohmann::json::parse(R"({"type": 2,
      "member": {"user": {"id": "42", "username": "ann"}},
      "data": {"type": 1, "name": "review", "options": [{"name": "text", "type": 3, "value": "Broken on arrival"}]}})"));
  ASSERT_EQ(slash.kind, Interaction::Kind::kReview);
  EXPECT_EQ(slash.review.text, "Broken on arrival");
  EXPECT_EQ(slash.review.author_id, "42");
  auto message = parse_interaction(nlohmann::json::parse(R"({"type": 2, "user": {"id": "7"},
      "data": {"type": 3, "name": "Check sentiment", "target_id": "99",
               "resolved": {"messages": {"99": {"id": "99", "content": "Love it", "author": {"id": "5", "username": "bo"}}}}}})"));
  ASSERT_EQ(message.kind, Interaction::Kind::kReview);
  EXPECT_EQ(message.review.text, "Love it");
  EXPECT_EQ(message.review.author_id, "5") << "the review's author, not the moderator who clicked";
}

// Found by fuzz_requests: a field of the wrong type made nlohmann's value() throw out of a
// function documented never to throw.
TEST(DiscordInteractionTest, FieldsOfTheWrongTypeNeverThrow) {
  for (const char* body : {
           R"({"type": 2, "data": {"type": "Check sentiment", "target_id": "1"}})",
           R"({"type": 2, "data": {"type": 3, "target_id": 5, "resolved": {"messages": []}}})",
           R"({"type": 2, "data": {"type": 3, "target_id": "1", "resolved": {"messages": {"1": {"content": 7, "author": "x"}}}}})",
           R"({"type": 2, "data": {"type": 1, "name": ["review"]}})",
           R"({"type": 2, "data": {"type": 1, "name": "review", "options": {"name": "text"}}, "member": []})",
           R"({"type": 2, "data": {"type": 1, "name": "review", "options": [{"name": 1, "value": "x"}, {"name": "text", "value": "ok"}]}, "member": {"user": {"id": 42}}, "guild_id": 3})",
           R"({"type": 99999999999999, "data": 1})",
       }) {
    Interaction in;
    EXPECT_NO_THROW(in = parse_interaction(nlohmann::json::parse(body))) << body;
    if (in.kind == Interaction::Kind::kReview) {
      EXPECT_EQ(in.review.text, "ok") << body;
      EXPECT_EQ(in.review.author_id, "") << "an id that is not a string reads as absent";
    }
  }
}

TEST(DiscordInteractionTest, AnswersEverythingElseWithAnEphemeralMessage) {
  for (const char* body : {R"({"type": 2, "data": {"type": 1, "name": "weather"}})",
                           R"({"type": 3, "data": {}})", R"({"type": "x"})", R"([1])",
                           R"({"type": 2, "data": {"type": 3, "target_id": "1", "resolved": {"messages": {}}}})",
                           R"({"type": 2, "data": {"type": 1, "name": "review", "options": [{"name": "text", "value": "  "}]}})",
                           R"({"type": 2, "data": {"type": 1, "name": "review", "options": 5}})"}) {
    const auto i = parse_interaction(nlohmann::json::parse(body));
    EXPECT_EQ(i.kind, Interaction::Kind::kImmediate) << body;
    EXPECT_EQ(i.immediate["type"], 4) << body;
    EXPECT_EQ(i.immediate["data"]["flags"], 64) << body;
  }
}

TEST(DiscordReplyTest, ComplaintsGetTheApologyAndMentionOnlyTheAuthor) {
  DiscordConfig config;
  const ReviewRequest review{"It broke. @everyone look", "42", "ann", "", "", ""};
  const model::LabelScore negative{"NEGATIVE", 0.97f, 0};
  ASSERT_TRUE(is_complaint(negative, config));
  const auto reply = review_reply(review, negative, true, config);
  const std::string content = reply["data"]["content"];
  EXPECT_NE(content.find("**NEGATIVE** (score 0.97)"), std::string::npos) << content;
  EXPECT_NE(content.find("Sorry, <@42> — our support team will contact you."), std::string::npos) << content;
  EXPECT_EQ(reply["data"]["allowed_mentions"]["parse"], nlohmann::json::array());
  EXPECT_EQ(reply["data"]["allowed_mentions"]["users"], nlohmann::json::array({"42"}));
  EXPECT_FALSE(is_complaint({"NEGATIVE", 0.85f, 0}, config));
  EXPECT_FALSE(is_complaint({"POSITIVE", 0.99f, 1}, config));
  const auto happy = review_reply(review, {"POSITIVE", 0.99f, 1}, false, config);
  EXPECT_EQ(happy["data"]["content"].get<std::string>().find("Sorry"), std::string::npos);
  config.negative_label = "1 star";
  EXPECT_TRUE(is_complaint({"1 star", 0.95f, 0}, config));
}

}  // namespace
}  // namespace verdict::server::discord
