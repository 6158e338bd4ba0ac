// `relay webhook verify|sign|send`: debug signatures and simulate providers from the shell.
#include <iostream>
#include <memory>

#include "cli/commands.hpp"
#include "cli/webhook_http_client.hpp"
#include "cli/webhook_request.hpp"
#include "cli/webhook_samples.hpp"
#include "relay/verify/registry.hpp"

namespace relay::cli {
namespace {

// Runs a command body, mapping UsageError to exit 2 and other failures to exit 1.
template <class F>
void guarded(CliContext& ctx, F&& body) {
  try {
    ctx.apply_logging();
    body();
  } catch (const UsageError& e) {
    std::cerr << "relay webhook: " << e.what() << "\n";
    ctx.exit_code = kExitUsage;
  } catch (const std::exception& e) {
    std::cerr << "relay webhook: " << e.what() << "\n";
    ctx.exit_code = kExitFailure;
  }
}

// verify and sign take the same arguments: a provider, its secret and one request.
std::shared_ptr<WebhookArgs> add_signature_command(CLI::App& parent, CLI::App*& cmd,
                                                   const std::string& name,
                                                   const std::string& description,
                                                   const std::string& footer) {
  auto args = std::make_shared<WebhookArgs>();
  cmd = parent.add_subcommand(name, description);
  cmd->footer(footer);
  cmd->add_option("provider", args->provider, "Provider name (see 'relay providers')")->required();
  add_secret_flags(*cmd, *args);
  add_request_flags(*cmd, *args, true);
  return args;
}

// The request the flags describe; it must outlive the RequestView built over it.
struct FlagRequest {
  core::Headers headers;
  std::string body;
  std::string url;
  explicit FlagRequest(const WebhookArgs& args)
      : headers(parse_headers(args.headers)),
        body(read_body(args.body_file)),
        url(args.url.empty() ? std::string{"http://localhost/"} : args.url) {}
};

void add_verify(CLI::App& parent, CliContext& ctx) {
  CLI::App* cmd = nullptr;
  auto args = add_signature_command(
      parent, cmd, "verify", "Check a request's webhook signature",
      "Prints 'valid' and exits 0, or prints why the request was rejected and exits 1;\n"
      "exits 2 on a usage error (unknown provider, missing secret, bad flag).\n\n"
      "Example:\n"
      "  relay webhook verify tiktok --secret env:TIKTOK_SECRET \\\n"
      "    --header 'TikTok-Signature: t=1712000000,s=4f1c...' --body-file body.json");
  cmd->callback([&ctx, args] {
    guarded(ctx, [&] {
      const auto verifier = make_verifier(*args);
      const FlagRequest r(*args);
      const auto verdict =
          verifier->verify({args->method, r.url, r.headers, r.body}, now_of(*args));
      if (verdict.ok()) {
        std::cout << "valid\n";
        if (verdict.event_id) std::cerr << "event id: " << *verdict.event_id << "\n";
        return;
      }
      std::cout << verdict.reason << "\n";
      std::cerr << "(" << verify::to_string(verdict.code) << ")\n";
      ctx.exit_code = kExitFailure;
    });
  });
}

void add_sign(CLI::App& parent, CliContext& ctx) {
  CLI::App* cmd = nullptr;
  auto args = add_signature_command(
      parent, cmd, "sign", "Print the signature headers a provider would send",
      "Prints one 'Name: value' line per header, ready for curl -H.\n"
      "Providers whose secret is a public key (discord, sendgrid, plaid) cannot be signed.\n\n"
      "Example:\n"
      "  relay webhook sign stripe --secret env:STRIPE_SECRET --body-file event.json");
  cmd->callback([&ctx, args] {
    guarded(ctx, [&] {
      const auto verifier = make_verifier(*args);
      const FlagRequest r(*args);
      const auto signed_headers =
          verifier->sign({args->method, r.url, r.headers, r.body}, now_of(*args));
      if (!signed_headers) {
        throw std::runtime_error("'" + args->provider +
                                 "' cannot be signed locally: its secret is a public key or the "
                                 "signature travels in the body");
      }
      for (const auto& f : *signed_headers) std::cout << f.name << ": " << f.value << "\n";
    });
  });
}

void add_send(CLI::App& parent, CliContext& ctx) {
  auto args = std::make_shared<WebhookArgs>();
  auto event = std::make_shared<std::string>();
  auto insecure = std::make_shared<bool>(false);
  auto timeout = std::make_shared<int>(30);
  auto* cmd = parent.add_subcommand("send", "Send a correctly signed sample webhook to a URL");
  cmd->footer(
      "Signs the body as the provider would and POSTs it; prints the response status line and\n"
      "body. Exits 0 on a 2xx answer, 1 otherwise or when the request fails, 2 on usage.\n"
      "Built-in events: tiktok video.publish.completed, zoom meeting.started, tokportal\n"
      "video.published, github push, stripe payment_intent.succeeded, slack event_callback,\n"
      "shopify orders/create, twilio sms.received; 'test' for any provider.\n\n"
      "Example:\n"
      "  relay webhook send tiktok http://localhost:3000/webhooks --secret env:TIKTOK_SECRET");
  cmd->add_option("provider", args->provider, "Provider name (see 'relay providers')")->required();
  cmd->add_option("url", args->url, "Where to send it (http:// or https://)")->required();
  add_secret_flags(*cmd, *args);
  cmd->add_option("--event", *event, "Built-in sample event (default: the provider's first)");
  cmd->add_option("--body-file", args->body_file, "Send this body instead of a sample ('-' stdin)");
  cmd->add_option("-H,--header", args->headers, "Extra header 'Name: value' (repeatable)");
  cmd->add_option("--method", args->method, "The request method (default POST)");
  cmd->add_option("--now", args->now, "Sign as if the time were this unix timestamp");
  cmd->add_flag("--insecure", *insecure, "Do not verify the https server's certificate");
  cmd->add_option("--timeout", *timeout, "Seconds to wait for the answer (default 30)");
  cmd->get_option("--event")->excludes(cmd->get_option("--body-file"));
  cmd->callback([&ctx, args, event, insecure, timeout] {
    guarded(ctx, [&] {
      const auto verifier = make_verifier(*args);
      auto headers = parse_headers(args->headers);
      std::string body;
      std::string content_type = "application/json";
      if (!args->body_file.empty()) {
        body = read_body(args->body_file);
      } else {
        const auto sample = sample_event(args->provider, *event);
        if (!sample) {
          std::string names;
          for (const auto& n : sample_event_names(args->provider)) names += " " + n;
          throw UsageError("no built-in event '" + *event + "' for " + args->provider +
                           "; available:" + names + " (or --body-file)");
        }
        body = sample->body;
        content_type = std::string{sample->content_type};
      }
      if (!headers.contains("Content-Type")) headers.add("Content-Type", content_type);
      const auto signed_headers =
          verifier->sign({args->method, args->url, headers, body}, now_of(*args));
      if (!signed_headers) {
        throw std::runtime_error("'" + args->provider +
                                 "' cannot be signed locally: its secret is a public key or the "
                                 "signature travels in the body");
      }
      for (const auto& f : *signed_headers) headers.set(f.name, f.value);
      const auto response = send_http_request(args->method, args->url, headers, body, *insecure,
                                              std::chrono::seconds{*timeout});
      std::cout << response.status << " " << response.reason << "\n" << response.body;
      if (!response.body.empty() && response.body.back() != '\n') std::cout << "\n";
      if (response.status < 200 || response.status > 299) ctx.exit_code = kExitFailure;
    });
  });
}

}  // namespace

void add_webhook_command(CLI::App& app, CliContext& ctx) {
  auto* cmd = app.add_subcommand(
      "webhook", "Verify, sign and send provider webhooks (debug signatures, simulate providers)");
  cmd->require_subcommand(1);
  cmd->footer("Run 'relay providers' for the provider names and their headers.");
  add_verify(*cmd, ctx);
  add_sign(*cmd, ctx);
  add_send(*cmd, ctx);
}

}  // namespace relay::cli
