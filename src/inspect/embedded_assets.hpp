#pragma once

#include <span>
#include <string_view>

// The web UI's files (src/inspect/ui/), compiled into the binary by relay_embed_assets() in the
// top-level CMakeLists.txt: the generated .cpp defines embedded_assets().
namespace relay::inspect::ui {

struct EmbeddedAsset {
  std::string_view path;  // relative to src/inspect/ui: "index.html", "app.js"
  std::string_view content_type;
  std::string_view bytes;
};

std::span<const EmbeddedAsset> embedded_assets();

}  // namespace relay::inspect::ui
