#include "cli/webhook_samples.hpp"

#include <array>
#include <ctime>

namespace relay::cli {
namespace {

struct Row {
  std::string_view provider, event, content_type, body;
};

// Bodies follow each provider's documented payload shape; "{now}" becomes the current time.
constexpr std::array kSamples = {
    Row{"tiktok", "video.publish.completed", "application/json",
        R"({"client_key":"bwo2m45353a6k85","event":"video.publish.completed","create_time":{now},"user_openid":"act.example12345Example12345Example","content":"{\"share_id\":\"video.6974245311675353080.VDCxrcMJ\"}"})"},
    Row{"tiktok", "authorization.removed", "application/json",
        R"({"client_key":"bwo2m45353a6k85","event":"authorization.removed","create_time":{now},"user_openid":"act.example12345Example12345Example","content":"{\"reason\":1}"})"},
    Row{"zoom", "meeting.started", "application/json",
        R"({"event":"meeting.started","event_ts":{now}000,"payload":{"account_id":"AAAAAABBBB","object":{"id":"1234567890","uuid":"4444AAAiAAAAAiAiAiiAii==","host_id":"x1yCzABCDEfg23HiJKl4mN","topic":"My Meeting","type":2,"start_time":"2025-01-01T10:00:00Z","timezone":"UTC","duration":60}}})"},
    Row{"zoom", "meeting.ended", "application/json",
        R"({"event":"meeting.ended","event_ts":{now}000,"payload":{"account_id":"AAAAAABBBB","object":{"id":"1234567890","uuid":"4444AAAiAAAAAiAiAiiAii==","host_id":"x1yCzABCDEfg23HiJKl4mN","topic":"My Meeting","type":2,"duration":60}}})"},
    Row{"tokportal", "video.published", "application/json",
        R"({"id":"evt_sample_0001","type":"video.published","created_at":{now},"data":{"video_id":"vid_0001","account_id":"acc_0001","platform":"tiktok","url":"https://www.tiktok.com/@example/video/7300000000000000000"}})"},
    Row{"tokportal", "bundle.published", "application/json",
        R"({"id":"evt_sample_0002","type":"bundle.published","created_at":{now},"data":{"bundle_id":"bnd_0001","videos":2}})"},
    Row{"github", "push", "application/json",
        R"({"ref":"refs/heads/main","before":"0000000000000000000000000000000000000000","after":"1111111111111111111111111111111111111111","repository":{"id":1,"full_name":"octo/hello","private":false},"pusher":{"name":"octo"},"commits":[]})"},
    Row{"github", "ping", "application/json",
        R"({"zen":"Keep it logically awesome.","hook_id":1})"},
    Row{"stripe", "payment_intent.succeeded", "application/json",
        R"({"id":"evt_sample","object":"event","api_version":"2024-06-20","created":{now},"type":"payment_intent.succeeded","data":{"object":{"id":"pi_sample","object":"payment_intent","amount":2000,"currency":"usd","status":"succeeded"}}})"},
    Row{"slack", "event_callback", "application/json",
        R"({"token":"sample","team_id":"T0001","api_app_id":"A0001","type":"event_callback","event":{"type":"app_mention","user":"U0001","text":"hello","ts":"{now}.000100","channel":"C0001"},"event_id":"Ev0001","event_time":{now}})"},
    Row{"shopify", "orders/create", "application/json",
        R"({"id":820982911946154508,"email":"jon@example.com","total_price":"199.00","currency":"USD","financial_status":"paid"})"},
    Row{"twilio", "sms.received", "application/x-www-form-urlencoded",
        "AccountSid=AC0123456789abcdef0123456789abcdef&Body=Hello&From=%2B14158675310&MessageSid="
        "SM0123456789abcdef0123456789abcdef&To=%2B18005550100"},
};

}  // namespace

std::optional<SampleEvent> sample_event(std::string_view provider, std::string_view event) {
  std::string_view body;
  std::string_view content_type = "application/json";
  std::string_view name = event;
  for (const auto& row : kSamples) {
    if (row.provider == provider && (event.empty() || row.event == event)) {
      body = row.body;
      content_type = row.content_type;
      name = row.event;
      break;
    }
  }
  if (body.empty()) {
    // Any provider: a generic test event, so `send` works for every registered provider.
    if (!event.empty() && event != "test") return std::nullopt;
    name = "test";
    body =
        R"({"id":"evt_relay_test","type":"test","created":{now},"data":{"message":"sent by relay webhook send"}})";
  }
  std::string out{body};
  const auto now = std::to_string(std::time(nullptr));
  for (auto pos = out.find("{now}"); pos != std::string::npos; pos = out.find("{now}", pos)) {
    out.replace(pos, 5, now);
  }
  return SampleEvent{provider, name, content_type, std::move(out)};
}

std::vector<std::string> sample_event_names(std::string_view provider) {
  std::vector<std::string> out;
  for (const auto& row : kSamples) {
    if (row.provider == provider) out.emplace_back(row.event);
  }
  out.emplace_back("test");
  return out;
}

}  // namespace relay::cli
