#include "sim/world.h"

namespace sim {

void Link::send(Bytes&& frame, uint64_t arrival) {
  fifo_.emplace_back(arrival, std::move(frame));
  world_.schedule(arrival, this, 0);
}

void Link::on_event(uint32_t, uint64_t) {
  auto [t, frame] = std::move(fifo_.front());
  fifo_.pop_front();
  dst_->receive(std::move(frame), t);
}

void World::schedule(uint64_t t, EventTarget* target, uint32_t kind, uint64_t arg) {
  const uint64_t now = now_.load(std::memory_order_relaxed);
  events_.push(Event{t < now ? now : t, seq_++, target, kind, arg});
}

void World::run_until(uint64_t t) {
  Event e;
  while (events_.pop_due(t, e)) {
    now_.store(e.t, std::memory_order_relaxed);
    e.target->on_event(e.kind, e.arg);
  }
  if (t > now()) now_.store(t, std::memory_order_relaxed);
}

bool World::run_idle(uint64_t limit_ns) {
  const uint64_t end = now() + limit_ns;
  while (!events_.empty() && events_.top().t <= end) run_until(events_.top().t);
  return events_.empty();
}

Link* World::make_link(Endpoint* dst) {
  links_.push_back(std::make_unique<Link>(*this, dst));
  return links_.back().get();
}

void World::inject(Endpoint* dst, Bytes frame, uint64_t t) {
  Link* l = nullptr;
  for (auto& s : source_links_)
    if (s->dst() == dst) l = s.get();
  if (!l) {
    source_links_.push_back(std::make_unique<Link>(*this, dst));
    l = source_links_.back().get();
  }
  l->send(std::move(frame), t);
}

}  // namespace sim
