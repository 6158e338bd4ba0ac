#pragma once

// Built-in sample events for `relay webhook send`: a realistic body per provider and event.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace relay::cli {

struct SampleEvent {
  std::string_view provider;
  std::string_view event;
  std::string_view content_type;
  std::string body;
};

// The named event, or the provider's default event when `event` is empty; nullopt if unknown.
std::optional<SampleEvent> sample_event(std::string_view provider, std::string_view event);
// "tiktok video.publish.completed, zoom meeting.started, ..." for help and errors.
std::vector<std::string> sample_event_names(std::string_view provider);

}  // namespace relay::cli
