#include "agent/host_sampler.hpp"

namespace hicloud::agent {

report::host_figures host_figures_of(host_reading const& reading, std::map<std::string, std::string>& unknown) {
    report::host_figures f;
    if (reading.cpu_count) {
        f.cpu_count = *reading.cpu_count;
    } else {
        unknown["host ser_cpu_count"] = reading.cpu_count.error().message;
    }
    if (!reading.opening) {
        unknown["host ser_cpu_percent"] = reading.opening.error().message;
    } else if (!reading.closing) {
        unknown["host ser_cpu_percent"] = reading.closing.error().message;
    } else if (auto const busy = host::cpu_busy_percent(*reading.opening, *reading.closing)) {
        f.cpu_percent = *busy;
    } else {
        unknown["host ser_cpu_percent"] = "the CPU counters did not move forward";
    }
    if (!reading.memory) {
        unknown["host ser_memory_*"] = reading.memory.error().message;
    } else if (reading.memory->total == 0) {
        unknown["host ser_memory_*"] = "MemTotal is 0";
    } else if (reading.memory->free > reading.memory->total) {
        // psutil would report a negative percentage; no figure here can be true.
        unknown["host ser_memory_*"] = "MemFree is above MemTotal";
    } else {
        f.memory_total_mib = host::to_mib(reading.memory->total);
        f.memory_used_mib = host::to_mib(reading.memory->used);
        f.memory_percent = reading.memory->percent;
    }
    return f;
}

host_sampler::host_sampler(std::string proc_root) : proc_(std::move(proc_root)) {}

bool host_sampler::begin() {
    if (previous_closing_) {
        opening_ = *previous_closing_;
        return false;
    }
    opening_ = host::read_cpu_times(proc_);
    return true;
}

report::host_figures host_sampler::finish(std::map<std::string, std::string>& unknown) {
    host_reading const reading{
        opening_ ? *opening_ : core::outcome<host::cpu_times>(core::failure{"no opening reading"}),
        host::read_cpu_times(proc_), host::read_cpu_count(proc_), host::read_memory(proc_)};
    opening_.reset();
    previous_closing_.reset();
    if (reading.closing) previous_closing_ = *reading.closing;
    return host_figures_of(reading, unknown);
}

}  // namespace hicloud::agent
