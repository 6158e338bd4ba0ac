#include "cli/service_unit.hpp"

namespace relay::cli {

namespace {

// Sandboxing shared by both system units: relay needs the network, its config (read-only),
// its state directory and nothing else.
constexpr const char* kHardening = R"(NoNewPrivileges=yes
ProtectSystem=strict
ProtectHome=yes
PrivateTmp=yes
PrivateDevices=yes
ProtectKernelTunables=yes
ProtectKernelModules=yes
ProtectKernelLogs=yes
ProtectControlGroups=yes
ProtectClock=yes
ProtectHostname=yes
RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6
RestrictNamespaces=yes
RestrictRealtime=yes
RestrictSUIDSGID=yes
LockPersonality=yes
MemoryDenyWriteExecute=yes
SystemCallArchitectures=native
SystemCallFilter=@system-service
UMask=0077
)";

}  // namespace

std::string service_unit_name(const ServiceUnitSpec& spec) {
  return spec.edge ? "relay-edge.service" : "relay.service";
}

std::string render_service_unit(const ServiceUnitSpec& spec) {
  std::string unit = "# " + service_unit_name(spec) +
                     " (the text `relay service install` writes); see docs/deployment.md.\n";
  unit += "[Unit]\n";
  unit += spec.edge ? "Description=relay edge: public webhook relay (" + spec.config + ")\n"
                    : "Description=relay agent: webhook tunnels from " + spec.config + "\n";
  if (!spec.user_mode) {
    unit += "Wants=network-online.target\nAfter=network-online.target\n";
  }
  unit += "StartLimitIntervalSec=60\nStartLimitBurst=5\n\n";

  unit += "[Service]\n";
  // READY=1 is sent once the listeners are bound (edge) or the session is online (agent).
  unit += "Type=notify\nNotifyAccess=main\n";
  if (spec.edge) {
    // The edge's own state directory (name ownership, edge.db): where `relay edge names` run as
    // root looks by default.
    unit += "ExecStart=" + spec.binary + " edge --config " + spec.config +
            (spec.user_mode ? "" : " --state-dir /var/lib/relay-edge") + " --log-format logfmt\n";
  } else {
    unit += "ExecStart=" + spec.binary + " start --all --config " + spec.config +
            (spec.user_mode ? "" : " --state-dir /var/lib/relay") + " --log-format logfmt\n";
    // SIGHUP reloads the tunnels without dropping the others (`systemctl reload relay`).
    unit += "ExecReload=/bin/kill -HUP $MAINPID\n";
  }
  unit += "Restart=on-failure\nRestartSec=2s\nWatchdogSec=30s\nTimeoutStopSec=20s\n";
  unit += "LimitNOFILE=65536\n";
  if (!spec.user_mode) {
    // A static user (not DynamicUser=) so the config and TLS key can be group-readable by it
    // (root:relay 0640) and reloads see the edited file.
    unit += "User=relay\nGroup=relay\n";
    unit += spec.edge ? "StateDirectory=relay-edge\n" : "StateDirectory=relay\n";
    unit += "StateDirectoryMode=0700\nConfigurationDirectory=relay\n";
    unit += kHardening;
    if (spec.edge) {
      // Binding :80 and :443 as a non-root user needs exactly this capability.
      unit +=
          "CapabilityBoundingSet=CAP_NET_BIND_SERVICE\nAmbientCapabilities=CAP_NET_BIND_SERVICE\n";
    } else {
      unit += "CapabilityBoundingSet=\nAmbientCapabilities=\n";
    }
  }
  unit += "\n[Install]\n";
  unit += spec.user_mode ? "WantedBy=default.target\n" : "WantedBy=multi-user.target\n";
  return unit;
}

}  // namespace relay::cli
