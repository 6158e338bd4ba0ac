// The relay binary: CLI11 wiring only. Each command lives in src/cli/<name>_command.cpp.
#include <exception>
#include <iostream>

#include "cli/commands.hpp"
#include "cli/library_setup.hpp"

namespace {

int run(int argc, char** argv) {
  relay::cli::configure_libraries();
  CLI::App app{
      "relay: a self-hostable webhook relay. Public URL → one TLS tunnel → signature check,\n"
      "inspector, replay → your app on localhost.\n\n"
      "  relay http 3000                      tunnel to localhost:3000 (embedded edge, loopback)\n"
      "  relay http 3000 --edge HOST:4443 --authtoken T      through your own relay edge\n"
      "  relay edge --domain relay.example.com ...           run the public side",
      "relay"};
  app.set_version_flag("--version", "relay " RELAY_VERSION);
  app.require_subcommand(1);
  app.fallthrough();

  relay::cli::CliContext ctx;
  relay::cli::add_logging_flags(app, ctx);

  relay::cli::add_http_command(app, ctx);
  relay::cli::add_edge_command(app, ctx);
  relay::cli::add_start_command(app, ctx);
  relay::cli::add_config_command(app, ctx);
  relay::cli::add_service_command(app, ctx);
  relay::cli::add_webhook_command(app, ctx);
  relay::cli::add_providers_command(app, ctx);
  relay::cli::add_replay_command(app, ctx);
  relay::cli::add_queue_command(app, ctx);
  relay::cli::add_version_command(app, ctx);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << "relay: " << e.what()
              << "\nRun 'relay --help' (or 'relay COMMAND --help') for usage.\n";
    return relay::cli::kExitUsage;
  }
  return ctx.exit_code;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    // Commands report their own failures; this is the backstop for one that escaped them.
    std::cerr << "relay: " << e.what() << "\n";
  } catch (...) {
    std::cerr << "relay: stopped by an unexpected error\n";
  }
  return 1;
}
