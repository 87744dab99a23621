// EventBus: the server's events (run and step started/finished, trigger
// fired, alias moved, alerts) in one ordered sequence, for the events stream
// (/api/v1/events, Server-Sent Events) and the record (server_events).
//
// Every event gets the next id as it is published (ids continue the stored
// ones across restarts). The bus keeps the newest `capacity` events in
// memory; a subscriber reads by id, so a slow one never makes the bus drop or
// reorder an event for the others: if it falls behind the memory it reads
// the older ones from the store (the stream handler does) and carries on.
// The loop thread writes the events not yet stored with TakeUnstored().
//
// Thread-safety: every method is thread-safe.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "mlpipe/metadata/control_store.h"

namespace mlpipe::server {

class EventBus {
 public:
  // `last_id`: the newest stored event's id (ids continue after it).
  explicit EventBus(int64_t last_id, size_t capacity = 65536);

  // Assigns the next id and time; wakes subscribers. Returns the id.
  int64_t Publish(metadata::ServerEvent event);
  // Events with id > after_id in memory, oldest first, at most `limit`;
  // waits up to `timeout_ns` for one when there is none. `*behind` is set
  // when events after `after_id` have left memory (read them from the store
  // first). Returns early (empty) once Close() was called.
  std::vector<metadata::ServerEvent> Wait(int64_t after_id, size_t limit, int64_t timeout_ns, bool* behind);
  // The events published since the last call, for the store.
  std::vector<metadata::ServerEvent> TakeUnstored();
  int64_t last_id() const;
  // Wakes every waiter; Wait returns at once from then on.
  void Close();
  bool closed() const;

 private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<metadata::ServerEvent> ring_;
  size_t capacity_;
  int64_t last_id_;
  size_t unstored_ = 0;                          // the newest `unstored_` events of ring_ are not stored yet
  std::vector<metadata::ServerEvent> overflow_;  // unstored events pushed out of ring_
  bool closed_ = false;
};

}  // namespace mlpipe::server
