#include "agent/host_sampler.hpp"

#include "host/meminfo.hpp"

#include <stdexcept>

namespace hicloud::agent {
namespace {

template <class T>
T value_or_throw(core::outcome<T> r) {
    if (!r) throw std::runtime_error(r.error().message);
    return std::move(*r);
}

}  // namespace

host_sampler::host_sampler(std::string proc_root) : proc_(std::move(proc_root)) {}

void host_sampler::begin() { opening_ = value_or_throw(host::read_cpu_times(proc_)); }

host_figures host_sampler::finish() {
    auto const closing = value_or_throw(host::read_cpu_times(proc_));
    auto const memory = value_or_throw(host::read_memory(proc_));
    host_figures f;
    f.cpu_count = value_or_throw(host::read_cpu_count(proc_));
    f.cpu_percent = opening_ ? host::cpu_busy_percent(*opening_, closing) : 0.0;
    f.memory_total_mib = host::to_mib(memory.total);
    f.memory_used_mib = host::to_mib(memory.used);
    f.memory_percent = memory.percent;
    return f;
}

}  // namespace hicloud::agent
