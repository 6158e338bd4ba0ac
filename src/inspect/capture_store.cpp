#include "relay/inspect/capture_store.hpp"

#include <algorithm>
#include <random>

#include <fmt/format.h>

#include "inspect/capture_db.hpp"

namespace relay::inspect {
namespace {

void clamp_body(CapturedBody& body, std::size_t limit) {
  if (body.data.size() > limit) {
    body.data.resize(limit);
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
  for (auto& capture : db_->load(options_.max_count)) {
    bytes_ += capture.cost();
    ring_.push_back(std::make_shared<const Capture>(std::move(capture)));
  }
  while (ring_.size() > 1 && bytes_ > options_.max_bytes) drop_oldest();
}

CaptureStore::~CaptureStore() = default;

std::string CaptureStore::make_id() {
  // Time first so ids sort by creation; the counter and the per-process salt make them unique
  // across restarts that reuse the database.
  const auto us =
      std::chrono::duration_cast<std::chrono::microseconds>(core::Clock::now().time_since_epoch())
          .count();
  return fmt::format("ins_{:013x}{:04x}{:06x}", us, (++id_counter_) & 0xffff, id_salt_ & 0xffffff);
}

std::shared_ptr<const Capture> CaptureStore::upsert(Capture capture) {
  if (capture.id.empty()) capture.id = make_id();
  clamp_body(capture.request_body, options_.max_body_bytes);
  clamp_body(capture.response_body, options_.max_body_bytes);
  auto shared = std::make_shared<const Capture>(std::move(capture));

  // Updates hit the newest captures, so search from the back.
  auto it = std::find_if(ring_.rbegin(), ring_.rend(),
                         [&](const auto& c) { return c->id == shared->id; });
  if (it != ring_.rend()) {
    bytes_ -= (*it)->cost();
    *it = shared;
  } else {
    ring_.push_back(shared);
  }
  bytes_ += shared->cost();
  if (db_) db_->upsert(shared);
  while (ring_.size() > options_.max_count) drop_oldest();
  // Keep the newest even when it alone is over the byte cap: its body is already clamped.
  while (ring_.size() > 1 && bytes_ > options_.max_bytes) drop_oldest();

  notify({CaptureEvent::Kind::upserted, shared});
  return shared;
}

void CaptureStore::drop_oldest() {
  const auto& oldest = ring_.front();
  bytes_ -= oldest->cost();
  if (db_) db_->erase(oldest->id);
  ring_.pop_front();
}

std::shared_ptr<const Capture> CaptureStore::find(std::string_view id) const {
  auto it = std::find_if(ring_.rbegin(), ring_.rend(), [&](const auto& c) { return c->id == id; });
  return it == ring_.rend() ? nullptr : *it;
}

std::vector<std::shared_ptr<const Capture>> CaptureStore::list(std::size_t limit,
                                                               std::string_view tunnel) const {
  std::vector<std::shared_ptr<const Capture>> out;
  for (auto it = ring_.rbegin(); it != ring_.rend(); ++it) {
    if (limit != 0 && out.size() >= limit) break;
    if (tunnel.empty() || (*it)->tunnel == tunnel) out.push_back(*it);
  }
  return out;
}

void CaptureStore::clear() {
  ring_.clear();
  bytes_ = 0;
  if (db_) db_->clear();
  notify({CaptureEvent::Kind::cleared, nullptr});
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
  // A copy: a listener may unsubscribe (or subscribe) while being called.
  const auto listeners = listeners_;
  for (const auto& [id, listener] : listeners) listener(event);
}

}  // namespace relay::inspect
