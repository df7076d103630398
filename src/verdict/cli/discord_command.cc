// `verdict discord register`: creates or updates Verdict's two commands through Discord's HTTP
// API (bulk overwrite), globally or for one guild. The bot token comes from the environment.
#include <cstdlib>
#include <iostream>
#include <nlohmann/json.hpp>

#include "verdict/cli/commands.h"
#include "verdict/net/http_client.h"
#include "verdict/server/discord.h"

namespace verdict::cli {
namespace {

struct RegisterArgs {
  std::string app_id;
  std::string guild_id;
  std::string token_env = "DISCORD_TOKEN";
};

bool all_digits(const std::string& s) {
  return !s.empty() && s.size() < 32 && s.find_first_not_of("0123456789") == std::string::npos;
}

int run_register(const RegisterArgs& a) {
  if (!all_digits(a.app_id)) return fail("--app-id must be the application's numeric id");
  if (!a.guild_id.empty() && !all_digits(a.guild_id)) return fail("--guild-id must be a numeric guild id");
  const char* token = std::getenv(a.token_env.c_str());
  if (!token || !*token) return fail("$" + a.token_env + " is empty: export the bot token there (never on the command line)");
  const char* base_env = std::getenv("DISCORD_API_BASE");
  std::string base = base_env && *base_env ? base_env : "https://discord.com/api/v10";
  while (!base.empty() && base.back() == '/') base.pop_back();
  const std::string url = base + "/applications/" + a.app_id +
                          (a.guild_id.empty() ? "" : "/guilds/" + a.guild_id) + "/commands";
  net::HttpCall call{"PUT", url,
                     {"Content-Type: application/json", std::string("Authorization: Bot ") + token},
                     server::discord::command_definitions().dump()};
  auto reply = net::perform(call);
  if (!reply.ok()) return fail("could not reach the Discord API: " + reply.error().message);
  if (reply->status == 401 || reply->status == 403) {
    return fail("Discord refused the bot token (HTTP " + std::to_string(reply->status) + "): check $" + a.token_env +
                " and that the application id is the token's");
  }
  auto body = nlohmann::json::parse(reply->body, nullptr, false);
  if (reply->status < 200 || reply->status >= 300) {
    const std::string message = body.is_object() && body.contains("message") ? body["message"].dump() : reply->body.substr(0, 300);
    return fail("Discord answered HTTP " + std::to_string(reply->status) + ": " + message);
  }
  if (!body.is_array()) return fail("Discord's answer is not the list of commands");
  for (const auto& c : body) {
    std::cout << nlohmann::json{{"name", c.value("name", "")}, {"id", c.value("id", "")}, {"type", c.value("type", 0)}}.dump()
              << "\n";
  }
  std::cerr << "registered " << body.size() << " commands " << (a.guild_id.empty() ? "globally" : "in guild " + a.guild_id)
            << "\n";
  return 0;
}

}  // namespace

void add_discord_command(CLI::App& app, Action& action) {
  auto* discord = app.add_subcommand("discord", "Discord integration tools");
  discord->require_subcommand(1);
  auto a = std::make_shared<RegisterArgs>();
  auto* cmd = discord->add_subcommand("register", "Create or update the /review and \"Check sentiment\" commands "
                                                  "(Discord API base: $DISCORD_API_BASE)");
  cmd->add_option("--app-id", a->app_id, "The application id")->required();
  cmd->add_option("--guild-id", a->guild_id, "Register in this guild only (instant; global ones take up to an hour)");
  cmd->add_option("--token-env", a->token_env, "Environment variable holding the bot token");
  cmd->callback([&action, a] { action = [a] { return run_register(*a); }; });
}

}  // namespace verdict::cli
