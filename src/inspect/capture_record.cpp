#include "inspect/capture_record.hpp"

#include <cstdint>
#include <cstring>

namespace relay::inspect::detail {
namespace {

constexpr std::string_view kMagic{"RC\x01", 3};

class Writer {
 public:
  explicit Writer(std::string& out) : out_(out) {}
  void u32(std::uint32_t v) { raw(&v, sizeof v); }
  void i64(std::int64_t v) { raw(&v, sizeof v); }
  void flag(bool v) { out_.push_back(v ? '\1' : '\0'); }
  void str(std::string_view s) {
    u32(static_cast<std::uint32_t>(s.size()));
    out_.append(s);
  }
  void headers(const core::Headers& h) {
    u32(static_cast<std::uint32_t>(h.size()));
    for (const auto& f : h) {
      str(f.name);
      str(f.value);
    }
  }
  void body(const CapturedBody& b) {
    str(b.data);
    i64(static_cast<std::int64_t>(b.size));
    flag(b.truncated);
  }
  void raw(std::string_view s) { out_.append(s); }

 private:
  // x86-64 and aarch64 are little-endian; the format says so, so a big-endian port must swap.
  void raw(const void* p, std::size_t n) { out_.append(static_cast<const char*>(p), n); }
  std::string& out_;
};

// Every read checks the remaining length; the first short read poisons the reader.
class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}
  [[nodiscard]] bool ok() const { return ok_; }
  [[nodiscard]] bool at_end() const { return in_.empty(); }
  bool skip(std::string_view prefix) {
    if (!in_.starts_with(prefix)) return ok_ = false;
    in_.remove_prefix(prefix.size());
    return true;
  }
  std::uint32_t u32() {
    std::uint32_t v = 0;
    raw(&v, sizeof v);
    return v;
  }
  std::int64_t i64() {
    std::int64_t v = 0;
    raw(&v, sizeof v);
    return v;
  }
  bool flag() {
    char c = 0;
    raw(&c, 1);
    return c != 0;
  }
  std::string str() {
    const auto n = u32();
    if (!ok_ || n > in_.size()) {
      ok_ = false;
      return {};
    }
    std::string s{in_.substr(0, n)};
    in_.remove_prefix(n);
    return s;
  }
  core::Headers headers() {
    core::Headers h;
    const auto n = u32();
    // Each field takes at least 8 bytes: a bogus count cannot make us reserve gigabytes.
    if (!ok_ || n > in_.size() / 8) {
      ok_ = false;
      return h;
    }
    h.reserve(n);
    for (std::uint32_t i = 0; i < n && ok_; ++i) {
      auto name = str();
      h.add(std::move(name), str());
    }
    return h;
  }
  CapturedBody body() {
    CapturedBody b;
    b.data = str();
    b.size = static_cast<std::size_t>(i64());
    b.truncated = flag();
    return b;
  }

 private:
  void raw(void* p, std::size_t n) {
    if (!ok_ || in_.size() < n) {
      ok_ = false;
      return;
    }
    std::memcpy(p, in_.data(), n);
    in_.remove_prefix(n);
  }
  std::string_view in_;
  bool ok_ = true;
};

std::optional<verify::VerdictCode> verdict_code(std::string_view name) {
  for (int c = 0; c <= static_cast<int>(verify::VerdictCode::missing_secret); ++c) {
    const auto code = static_cast<verify::VerdictCode>(c);
    if (verify::to_string(code) == name) return code;
  }
  return std::nullopt;
}

}  // namespace

void encode_record(const Capture& c, std::string& out) {
  Writer w{out};
  w.raw(kMagic);
  w.str(c.id);
  w.str(c.tunnel);
  w.i64(std::chrono::duration_cast<std::chrono::microseconds>(c.start.time_since_epoch()).count());
  w.i64(c.duration.count());
  w.str(c.remote_addr);
  w.str(c.public_url);
  w.str(c.method);
  w.str(c.url);
  w.str(c.proto);
  w.headers(c.request_headers);
  w.body(c.request_body);
  w.i64(c.status);
  w.headers(c.response_headers);
  w.body(c.response_body);
  w.flag(c.verdict.has_value());
  if (c.verdict) {
    w.str(verify::to_string(c.verdict->code));
    w.str(c.verdict->provider);
    w.str(c.verdict->reason);
    w.flag(c.verdict->event_id.has_value());
    if (c.verdict->event_id) w.str(*c.verdict->event_id);
  }
  w.flag(c.duplicate);
  w.flag(c.replay);
  w.str(c.replay_of);
  w.str(c.error_code);
  w.str(c.error);
  // Durable delivery, appended only for deliveries: other records keep the earlier layout.
  if (!c.delivery_id.empty()) {
    w.str(c.delivery_id);
    w.i64(c.delivery_attempt);
  }
}

std::optional<Capture> decode_record(std::string_view payload) {
  Reader r{payload};
  if (!r.skip(kMagic)) return std::nullopt;
  Capture c;
  c.id = r.str();
  c.tunnel = r.str();
  c.start = core::Clock::time_point{
      std::chrono::duration_cast<core::Clock::duration>(std::chrono::microseconds{r.i64()})};
  c.duration = std::chrono::microseconds{r.i64()};
  c.remote_addr = r.str();
  c.public_url = r.str();
  c.method = r.str();
  c.url = r.str();
  c.proto = r.str();
  c.request_headers = r.headers();
  c.request_body = r.body();
  c.status = static_cast<int>(r.i64());
  c.response_headers = r.headers();
  c.response_body = r.body();
  if (r.flag()) {
    verify::Verdict v;
    const auto code = verdict_code(r.str());
    if (!code) return std::nullopt;
    v.code = *code;
    v.provider = r.str();
    v.reason = r.str();
    if (r.flag()) v.event_id = r.str();
    c.verdict = std::move(v);
  }
  c.duplicate = r.flag();
  c.replay = r.flag();
  c.replay_of = r.str();
  c.error_code = r.str();
  c.error = r.str();
  if (r.ok() && !r.at_end()) {
    c.delivery_id = r.str();
    c.delivery_attempt = static_cast<int>(r.i64());
  }
  if (!r.ok() || !r.at_end() || c.id.empty()) return std::nullopt;
  return c;
}

void append_batch_entry(std::uint64_t seq, const Capture& capture, std::string& out) {
  out.append(reinterpret_cast<const char*>(&seq), sizeof seq);
  const auto at = out.size();
  out.append(sizeof(std::uint32_t), '\0');  // the length, known once the record is written
  encode_record(capture, out);
  const auto length = static_cast<std::uint32_t>(out.size() - at - sizeof(std::uint32_t));
  std::memcpy(out.data() + at, &length, sizeof length);
}

std::vector<std::pair<std::uint64_t, Capture>> decode_batch(std::string_view row) {
  std::vector<std::pair<std::uint64_t, Capture>> out;
  constexpr auto kHead = sizeof(std::uint64_t) + sizeof(std::uint32_t);
  while (row.size() >= kHead) {
    std::uint64_t seq = 0;
    std::uint32_t length = 0;
    std::memcpy(&seq, row.data(), sizeof seq);
    std::memcpy(&length, row.data() + sizeof seq, sizeof length);
    row.remove_prefix(kHead);
    if (length > row.size()) break;
    auto capture = decode_record(row.substr(0, length));
    if (!capture) break;
    out.emplace_back(seq, std::move(*capture));
    row.remove_prefix(length);
  }
  return out;
}

}  // namespace relay::inspect::detail
