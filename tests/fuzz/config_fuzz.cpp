// The YAML config parsers (agent and edge) and the text edits on arbitrary bytes: they must
// report problems as diagnostics, never crash. Seeds: tests/fuzz/corpus/config.
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>

#include "relay/config/agent_config.hpp"
#include "relay/config/edge_config.hpp"
#include "relay/config/edge_token_store.hpp"
#include "relay/config/text_edit.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace relay::config;
  const std::string text(reinterpret_cast<const char*>(data), size);
  auto source = std::make_shared<ConfigSource>(ConfigSource{"fuzz.yml", text, true});
  (void)parse_agent_config({source, source});
  (void)parse_edge_config({source});
  (void)set_top_level_scalar(text, "authtoken", "token");
  try {
    (void)add_token_entry(text, {std::string(64, 'a'), "fuzz", {"x"}});
    (void)remove_token_entry(text, "fuzz");
  } catch (const std::invalid_argument&) {
    // Expected for flow-style lists, duplicate or missing labels.
  }
  return 0;
}
