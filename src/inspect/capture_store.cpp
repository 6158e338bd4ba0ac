#include "relay/inspect/capture_store.hpp"

#include <algorithm>
#include <chrono>
#include <random>

#include "inspect/capture_db.hpp"
#include "relay/core/heap.hpp"

namespace relay::inspect {
namespace {

void clamp_body(CapturedBody& body, std::size_t limit) {
  if (body.data.size() > limit) {
    body.data.resize(limit);
    body.data.shrink_to_fit();  // the cap bounds memory, not only what is shown
    body.truncated = true;
  }
  body.size = std::max(body.size, body.data.size());
}

}  // namespace

CaptureStore::Subscription& CaptureStore::Subscription::operator=(Subscription&& other) noexcept {
  if (this != &other) {
    reset();
    store_ = std::exchange(other.store_, nullptr);
    id_ = std::exchange(other.id_, 0);
  }
  return *this;
}

void CaptureStore::Subscription::reset() {
  if (store_ != nullptr) store_->listeners_.erase(id_);
  store_ = nullptr;
}

CaptureStore::CaptureStore(CaptureStoreOptions options) : options_(std::move(options)) {
  options_.max_count = std::max<std::size_t>(options_.max_count, 1);
  id_salt_ = std::random_device{}();
  if (options_.db_path.empty()) return;
  db_ = std::make_unique<CaptureDb>(options_.db_path);
  seq_tag_ = db_->writer_tag();
  auto loaded = db_->load(options_.max_count);
  last_seq_ = loaded.next_seq - 1;
  for (auto& stored : loaded.captures) {
    auto capture = std::make_shared<const Capture>(std::move(stored.capture));
    const auto cost = capture->cost();
    bytes_ += cost;
    index_.emplace(capture->id, stored.seq);
    ring_.push_back({std::move(capture), stored.seq, cost});
  }
  if (ring_.size() > 1 && bytes_ > options_.max_bytes) {
    while (ring_.size() > 1 && bytes_ > options_.max_bytes) drop_oldest();
    db_->keep_from(ring_.front().seq);
  }
}

CaptureStore::~CaptureStore() = default;

std::string CaptureStore::make_id() {
  // Time first so ids sort by creation; the counter and the per-process salt make them unique
  // across restarts that reuse the database. "ins_" + 13 + 4 + 6 hex digits, written by hand:
  // fmt::format cost more than the rest of the capture step.
  const auto us =
      std::chrono::duration_cast<std::chrono::microseconds>(core::Clock::now().time_since_epoch())
          .count();
  std::string id(4 + 13 + 4 + 6, '0');
  id.replace(0, 4, "ins_");
  auto put_hex = [&](std::size_t end, std::size_t digits, std::uint64_t v) {
    for (std::size_t i = 0; i < digits; ++i, v >>= 4) id[end - 1 - i] = "0123456789abcdef"[v & 0xf];
  };
  put_hex(17, 13, static_cast<std::uint64_t>(us));
  put_hex(21, 4, ++id_counter_ & 0xffff);
  put_hex(27, 6, id_salt_ & 0xffffff);
  return id;
}

std::shared_ptr<const Capture> CaptureStore::upsert(Capture capture) {
  if (capture.id.empty()) capture.id = make_id();
  clamp_body(capture.request_body, options_.max_body_bytes);
  clamp_body(capture.response_body, options_.max_body_bytes);
  auto shared = std::make_shared<const Capture>(std::move(capture));
  const auto cost = shared->cost();

  std::uint64_t seq = 0;
  if (const auto at = locate(shared->id); at != kNotFound) {
    auto& entry = ring_[at];
    bytes_ -= entry.cost;
    entry.capture = shared;
    entry.cost = cost;
    seq = entry.seq;
  } else {
    seq = next_seq();
    index_.emplace(shared->id, seq);
    ring_.push_back({shared, seq, cost});
  }
  bytes_ += cost;
  const auto count_before = ring_.size();
  while (ring_.size() > options_.max_count) drop_oldest();
  // Keep the newest even when it alone is over the byte cap: its body is already clamped.
  while (ring_.size() > 1 && bytes_ > options_.max_bytes) drop_oldest();

  if (db_) {
    const auto oldest = ring_.front().seq;
    if (ring_.size() != count_before) db_->keep_from(oldest);
    // Only the final state goes to disk: one row write per request, not two.
    if (shared->complete() && seq >= oldest) db_->put(seq, shared);
  }
  notify({CaptureEvent::Kind::upserted, shared});
  return shared;
}

std::uint64_t CaptureStore::next_seq() {
  // Wall-clock microseconds, then this writer's tag in the low byte: agents sharing one database
  // make distinct numbers, and a history loaded from it is in arrival order across all of them
  // (which also keeps trimming by "oldest kept" right for every writer). Never below the last
  // one: increasing along this store's ring even if the clock steps back.
  const auto now_us = std::chrono::duration_cast<std::chrono::microseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  const std::uint64_t tick =
      std::max<std::uint64_t>((last_seq_ >> kSeqTagBits) + 1, static_cast<std::uint64_t>(now_us));
  last_seq_ = (tick << kSeqTagBits) | seq_tag_;
  return last_seq_;
}

std::size_t CaptureStore::locate(std::string_view id) const {
  const auto hit = index_.find(id);
  if (hit == index_.end()) return kNotFound;
  const auto seq = hit->second;
  const auto it = std::lower_bound(ring_.begin(), ring_.end(), seq,
                                   [](const Entry& e, std::uint64_t s) { return e.seq < s; });
  if (it == ring_.end() || it->seq != seq) return kNotFound;
  return static_cast<std::size_t>(it - ring_.begin());
}

void CaptureStore::drop_oldest() {
  const auto& oldest = ring_.front();
  bytes_ -= oldest.cost;
  index_.erase(oldest.capture->id);
  ring_.pop_front();
}

std::shared_ptr<const Capture> CaptureStore::find(std::string_view id) const {
  const auto at = locate(id);
  return at == kNotFound ? nullptr : ring_[at].capture;
}

std::vector<std::shared_ptr<const Capture>> CaptureStore::list(std::size_t limit,
                                                               std::string_view tunnel) const {
  std::vector<std::shared_ptr<const Capture>> out;
  // Newest first (std::ranges::reverse_view of this ring does not compile with clang 14 and
  // libstdc++ 12).
  for (auto it = ring_.rbegin(); it != ring_.rend(); ++it) {  // NOLINT(modernize-loop-convert)
    if (limit != 0 && out.size() >= limit) break;
    if (tunnel.empty() || it->capture->tunnel == tunnel) out.push_back(it->capture);
  }
  return out;
}

void CaptureStore::clear() {
  ring_.clear();
  index_.clear();
  bytes_ = 0;
  if (db_) db_->clear();
  notify({CaptureEvent::Kind::cleared, nullptr});
  // The allocator keeps freed heap memory for reuse: measured with glibc, clearing a full ring
  // of 64 KiB uploads left RSS at 37 MiB without this and brought it back to 18 MiB with it.
  // Clear is rare.
  core::release_free_heap();
}

void CaptureStore::flush() {
  if (db_) db_->flush();
}

CaptureStore::Subscription CaptureStore::subscribe(Listener listener) {
  const auto id = next_listener_++;
  listeners_.emplace(id, std::move(listener));
  return Subscription{this, id};
}

void CaptureStore::notify(const CaptureEvent& event) {
  if (listeners_.empty()) return;  // the usual case: no inspector page open
  // A copy: a listener may unsubscribe (or subscribe) while being called.
  const auto listeners = listeners_;
  for (const auto& [id, listener] : listeners) listener(event);
}

}  // namespace relay::inspect
