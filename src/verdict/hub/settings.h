// Where the Hub is and who we are to it, read from the environment exactly as huggingface_hub does.
#pragma once

#include <filesystem>
#include <string>

namespace verdict::hub {

struct HubSettings {
  std::string endpoint = "https://huggingface.co";  // $HF_ENDPOINT, no trailing '/'
  std::string token;                                // $HF_TOKEN, else the file `huggingface-cli login` wrote
  std::filesystem::path cache;                      // cache_dir()
  bool offline = false;                             // $HF_HUB_OFFLINE=1: never touch the network
};

HubSettings settings_from_env();

// huggingface_hub's truthy strings: 1, ON, YES, TRUE (any case).
bool env_flag(const char* name);

}  // namespace verdict::hub
