#pragma once
// Writes samples to the server and container tables. Runs on a pool worker.
#include "db/connection.hpp"
#include "report/sample.hpp"

#include <span>
#include <string>
#include <vector>

namespace hicloud::server {

struct keyed_sample {
    report::sample const* sample;
    std::string key;  // Idempotency-Key; empty when the request had none
};

// Stores every sample whose key is not stored yet (and every key-less one) in
// one transaction: its server row and all its container rows, with multi-row
// INSERTs. Returns, per sample, true when it was written now, false when its
// key was already stored. Throws db::error after rolling back: nothing is written.
//
// With `look_up_keys` false the stored keys are not looked up first: every sample
// is taken as new, and a key already stored fails the transaction with ER_DUP_ENTRY
// (the unique index), to be done again looking them up.
std::vector<bool> store_samples(db::connection& c, std::span<keyed_sample const> samples, bool look_up_keys = true);

}  // namespace hicloud::server
